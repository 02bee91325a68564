// Rendering for the deploy gate: the forecast's verdict table and drift detection's findings.
import chalk from "chalk";
import type { StackDrift } from "../core/deploy/drift";
import type { ForecastResult, ForecastVerdict } from "../core/deploy/forecast";
import { renderTable } from "./output";

const verdictColour: Record<ForecastVerdict, (text: string) => string> = {
  pass: (t) => chalk.green(t),
  warn: (t) => chalk.yellow(t),
  fail: (t) => chalk.red(t),
  skip: (t) => chalk.dim(t),
};

/** One row per check: verdict, check, subject, what was found; a fix line under each that does not pass. */
export function renderForecast(result: ForecastResult): string {
  const rows = result.checks.flatMap((c) => {
    const row = [verdictColour[c.verdict](c.verdict.toUpperCase()), c.check, c.subject, c.detail];
    return c.fix ? [row, ["", "", chalk.dim("fix:"), chalk.dim(c.fix)]] : [row];
  });
  const summary =
    result.failed > 0
      ? chalk.red(`${result.failed} check${result.failed === 1 ? "" : "s"} fail: a deploy would stop here`)
      : result.warned > 0
        ? chalk.yellow(`no check fails; ${result.warned} warning${result.warned === 1 ? "" : "s"}`)
        : chalk.green("every check passes");
  return `${chalk.bold(`forecast for ${result.environment} (${result.region})`)}\n${renderTable(["VERDICT", "CHECK", "SUBJECT", "FOUND"], rows)}\n${summary}`;
}

/** The drifted resources of each stack, with each differing property (expected → actual). */
export function renderDrift(drifts: readonly StackDrift[]): string {
  const blocks = drifts.map((d) => {
    const title = `${chalk.bold(d.stackName)}: ${d.error ? chalk.yellow(`not checked (${d.error})`) : d.status === "DRIFTED" ? chalk.red("DRIFTED") : chalk.green(d.status)}${
      d.detection === "DETECTION_FAILED" ? chalk.yellow(` (detection incomplete: ${d.reason ?? "no reason given"})`) : ""
    }`;
    if (d.resources.length === 0) return title;
    const rows = d.resources.flatMap((r) =>
      r.properties.length === 0
        ? [[r.status, r.logicalId, r.type, "", ""]]
        : r.properties.map((p, i) => [
            i === 0 ? r.status : "",
            i === 0 ? r.logicalId : "",
            i === 0 ? r.type : "",
            p.path,
            `${p.expected} → ${p.actual} (${p.difference})`,
          ]),
    );
    return `${title}\n${renderTable(["DRIFT", "LOGICAL ID", "TYPE", "PROPERTY", "EXPECTED → ACTUAL"], rows)}`;
  });
  return blocks.join("\n\n");
}
