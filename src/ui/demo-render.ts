// The demo's closing summary: what happened and where each result is.
import chalk from "chalk";
import { describeEntry } from "../core/audit/present";
import type { DemoResult } from "../local/demo";
import { renderTimeline } from "./audit-render";
import { formatBytes } from "./output";
import { traceCommand } from "./trace-command";

export function renderDemo(r: DemoResult): string {
  const m = r.export;
  const trace = traceCommand();
  const local = `${trace} --local`;
  return [
    "",
    chalk.bold("Everything ran on the local emulator") + (r.endpoint ? ` (${r.endpoint})` : ""),
    "",
    chalk.bold("Daily export"),
    `  ${m.rows} of ${r.records} records of ${m.date} (${m.timeZone}) → ${m.location} (${formatBytes(m.bytes ?? 0)}, sha256 ${m.sha256?.slice(0, 12)}…)`,
    `  see it:   ${local} export --date ${m.date} --out - | head`,
    "",
    `${chalk.bold(`Audit trail of ${r.auditKey}`)} (table ${r.tables.audit})`,
    renderTimeline(r.auditHistory.map(describeEntry))
      .split("\n")
      .map((l) => `  ${l}`)
      .join("\n"),
    `  see it:   ${local} audit show ${r.auditKey}`,
    "",
    chalk.bold("Archive and restore"),
    `  deleted ${Object.entries(r.restore.keys)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")} from ${r.tables.trazabilidad}, archived in s3://${r.bucket}/archive/${r.restore.table}/…`,
    `  restored version ${r.restore.versionId}: ${r.restoredEqual ? chalk.green("identical to the item before deletion") : chalk.red("DIFFERENT from the item before deletion")}`,
    `  see it:   ${local} archive list --table ${r.restore.table}`,
    "",
    `The emulator keeps running for you to explore with --local; stop it (its data is in memory only) with: ${trace} local stop`,
  ].join("\n");
}
