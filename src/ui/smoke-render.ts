// Rendering of `trace smoke`: one line per hop (verdict, hop, time, what was seen), and under a
// failed one where to look.
import chalk from "chalk";
import type { SmokeHop, SmokeResult } from "../core/smoke/smoke";
import { formatDuration } from "./output";

const VERDICT = { pass: chalk.green("PASS"), fail: chalk.red("FAIL"), skip: chalk.yellow("SKIP") } as const;

/** One hop: `PASS  audit  1.8 s  …`, and the places to look under a failure. */
export function renderHop(hop: SmokeHop, width = 20): string {
  const line = `${VERDICT[hop.verdict]}  ${hop.hop.padEnd(width)}  ${formatDuration(hop.ms).padStart(8)}  ${hop.detail}`;
  const look = (hop.lookAt ?? []).map((l) => chalk.dim(`        look at: ${l}`));
  return [line, ...look].join("\n");
}

export function renderSmoke(result: SmokeResult): string {
  const width = Math.max(...result.hops.map((h) => h.hop.length));
  const failed = result.hops.filter((h) => h.verdict === "fail").length;
  const summary =
    failed === 0 ? chalk.green(`smoke ${result.runId}: every hop passed`) : chalk.red(`smoke ${result.runId}: ${failed} hop(s) failed`);
  return [...result.hops.map((h) => renderHop(h, width)), summary].join("\n");
}
