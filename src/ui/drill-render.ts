// `trace drill`'s report for people: the recovery, RPO and RTO, one line per check, the differences.
import chalk from "chalk";
import type { Difference } from "../core/drill/compare";
import type { DrillReport } from "../core/drill/report";
import { formatDuration, renderTable } from "./output";

const duration = (seconds: number | null) => (seconds === null ? "-" : formatDuration(seconds * 1000));

const verdict = (passed: boolean | null) => (passed === null ? chalk.dim("skipped") : passed ? chalk.green("ok") : chalk.red("FAILED"));

function differenceLine(d: Difference): string {
  const what =
    d.kind === "missing"
      ? "missing from the restore"
      : d.kind === "extra"
        ? "in the restore, not in the source"
        : `changed: ${(d.attributes ?? []).join(", ")}`;
  return `  ${d.key}  ${what}${d.explained ? chalk.dim(` — ${d.explained}`) : ""}`;
}

export function renderDrill(r: DrillReport): string {
  const lines = [
    `${chalk.bold(`Drill of ${r.table}`)} (${r.region}) from ${r.source.where}${r.source.recoveryPoint ? ` ${chalk.dim(r.source.recoveryPoint)}` : ""}`,
    `  restore point  ${r.restorePoint}  (compared with ${r.reference === "source-now" ? "the source as it is now" : "the source read just before it"})`,
    `  RPO achieved   ${duration(r.rpo.seconds)}${r.rpo.newestRecoverable ? `  (newest recoverable write ${r.rpo.newestRecoverable})` : ""}`,
    `  RTO measured   ${duration(r.rto.seconds)}${r.rto.seconds !== null ? "  (restore accepted → table ACTIVE)" : ""}`,
    "",
    renderTable(
      ["check", "result", "detail"],
      r.checks.map((c) => [c.name, verdict(c.passed), c.summary]),
    ),
  ];
  if (r.differences.length > 0) {
    lines.push("", chalk.bold(`Differences (${r.differenceCount}):`), ...r.differences.map(differenceLine));
    if (r.differenceCount > r.differences.length)
      lines.push(`  … and ${r.differenceCount - r.differences.length} more (--json lists ${r.differences.length})`);
  }
  if (r.explained.length > 0) lines.push("", chalk.bold(`Accounted for (${r.explainedCount}):`), ...r.explained.map(differenceLine));
  const scratch =
    r.scratch === "deleted"
      ? `scratch table ${r.scratchTable} deleted`
      : r.scratch === "kept"
        ? `scratch table ${r.scratchTable} kept (${r.scratchRegion})`
        : "";
  lines.push(
    "",
    `${r.passed ? chalk.green("PASSED") : chalk.red("FAILED")} in ${duration(r.durationSeconds)}${scratch ? `; ${scratch}` : ""}`,
  );
  return lines.join("\n");
}
