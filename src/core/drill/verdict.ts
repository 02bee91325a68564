/**
 * From what the drill found to its verdict: each difference re-read on both sides (and, when the
 * reference is the source as it is now, accounted for by explain.ts's rules or not), then one
 * check per promise — the restore, the item count, every item, the last exported day — and the
 * report.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { mapLimit } from "../concurrency";
import type { ExportManifest } from "../export/manifest";
import { type Comparison, type Difference, type KeyShape, readItem, recheck } from "./compare";
import { type DayCopy, differingRows } from "./day";
import { type ExplainRules, explain } from "./explain";
import { type DayResult, type DrillCheck, type DrillReport, LISTED } from "./report";

/** Differences re-read one by one, at most; beyond, they are reported as found. */
export const RECHECK_LIMIT = 1000;

export interface SettleInput {
  source: { dynamodb: Pick<DynamoDBClient, "send">; table: string };
  restored: { dynamodb: Pick<DynamoDBClient, "send">; table: string };
  keys: KeyShape;
  differences: readonly Difference[];
  /** The rules for a reference that is the source as it is now; undefined when it was read just before the restore point. */
  rules: ExplainRules | undefined;
  signal: AbortSignal;
}

export interface Settled {
  unexplained: Difference[];
  explained: Difference[];
}

/** Re-reads each difference on both sides; what is still a difference is explained by the rules, or not. */
export async function settle(input: SettleInput): Promise<Settled> {
  const unexplained: Difference[] = [];
  const explained: Difference[] = [];
  const examined = input.differences.slice(0, RECHECK_LIMIT);
  const results = await mapLimit(examined, 8, async (difference) => {
    const [source, restored] = await Promise.all([
      readItem(input.source.dynamodb, input.source.table, input.keys, difference.key, input.signal),
      readItem(input.restored.dynamodb, input.restored.table, input.keys, difference.key, input.signal),
    ]);
    const still = recheck(difference, { source, restored });
    if (!still) return undefined;
    const why = input.rules ? explain(still, { source, restored }, input.rules) : undefined;
    return why ? { ...still, explained: why } : still;
  });
  for (const result of results) {
    if (!result) continue;
    (result.explained ? explained : unexplained).push(result);
  }
  unexplained.push(...input.differences.slice(RECHECK_LIMIT));
  return { unexplained, explained };
}

export interface AssembleInput {
  base: Omit<DrillReport, "counts" | "differences" | "differenceCount" | "explained" | "explainedCount" | "day" | "checks" | "passed">;
  sourceCount: number;
  comparison: Comparison;
  settled: Settled;
  manifest: ExportManifest | undefined;
  sourceDay: DayCopy | undefined;
  restoredDay: DayCopy | undefined;
  restoreSummary: string;
}

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
const names = (list: readonly Difference[]) =>
  list
    .slice(0, 5)
    .map((d) => d.key)
    .join(", ") + (list.length > 5 ? ", …" : "");

/** The checks and the report. */
export async function assemble(input: AssembleInput): Promise<DrillReport> {
  const { comparison, settled } = input;
  const lost = settled.unexplained.filter((d) => d.kind !== "changed");
  const changed = settled.unexplained.filter((d) => d.kind === "changed");
  const accounted = settled.explained.length;
  const day = await dayResult(input);
  const checks: DrillCheck[] = [
    { name: "restore", passed: true, summary: input.restoreSummary },
    {
      name: "count",
      passed: lost.length === 0,
      summary: `source ${plural(input.sourceCount, "item")}, restored ${plural(comparison.restoredCount, "item")}${accounted ? `, ${accounted} difference(s) accounted for` : ""}${lost.length ? `; ${lost.length} missing or extra: ${names(lost)}` : ""}`,
    },
    {
      name: "items",
      passed: changed.length === 0,
      summary: changed.length
        ? `${changed.length === 1 ? "1 item differs" : `${plural(changed.length, "item")} differ`}: ${changed
            .slice(0, 5)
            .map((d) => `${d.key} (${(d.attributes ?? []).join(", ")})`)
            .join(", ")}${changed.length > 5 ? ", …" : ""}`
        : `every item of the restore is identical to the source's (${plural(comparison.identical, "item")} compared whole)`,
    },
    dayCheck(day, input.manifest),
  ];
  return {
    ...input.base,
    counts: { source: input.sourceCount, restored: comparison.restoredCount, identical: comparison.identical },
    differences: settled.unexplained.slice(0, LISTED),
    differenceCount: settled.unexplained.length,
    explained: settled.explained.slice(0, LISTED),
    explainedCount: settled.explained.length,
    day,
    checks,
    passed: checks.every((c) => c.passed !== false),
  };
}

async function dayResult(input: AssembleInput): Promise<DayResult | null> {
  const { manifest, sourceDay, restoredDay } = input;
  if (!manifest || !sourceDay || !restoredDay) return null;
  const differing = sourceDay.sha256 === restoredDay.sha256 ? [] : await differingRows(sourceDay, restoredDay);
  return {
    date: manifest.date,
    manifest: { rows: manifest.rows, sha256: manifest.sha256, location: manifest.location, finishedAt: manifest.finishedAt },
    source: { rows: sourceDay.rows, sha256: sourceDay.sha256 },
    restored: { rows: restoredDay.rows, sha256: restoredDay.sha256 },
    sourceMatchesManifest: sourceDay.sha256 === manifest.sha256,
    differingRows: differing.slice(0, LISTED),
  };
}

function dayCheck(day: DayResult | null, manifest: ExportManifest | undefined): DrillCheck {
  if (!day) {
    return {
      name: "day-export",
      passed: null,
      summary:
        manifest === undefined
          ? "no exported day to check (only TRAZABILIDAD's days are exported, and only with the base stack)"
          : "not run",
    };
  }
  const same = day.source.sha256 === day.restored.sha256;
  const reordered = !same && day.differingRows.length === 0;
  const manifestNote = day.sourceMatchesManifest
    ? `, the manifest's sha256 too`
    : `; the manifest of ${day.manifest.finishedAt} has ${day.manifest.rows} rows and another sha256 (the day changed since it was exported)`;
  return {
    name: "day-export",
    passed: same || reordered,
    summary: same
      ? `${day.date} exported from the restore: ${day.restored.rows} rows, sha256 ${day.restored.sha256.slice(0, 12)}… as from the source${manifestNote}`
      : reordered
        ? `${day.date}: the same rows as the source's, in another order (sha256 differs only by row order)`
        : `${day.date}: ${day.differingRows.length} row(s) differ from the source's export: ${day.differingRows.slice(0, 5).join(", ")}`,
  };
}
