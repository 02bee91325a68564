// Rendering of audit timelines: one line per entry, newest first, a map's inner-key diff beneath.
import chalk from "chalk";
import type { TimelineLine } from "../core/audit/present";
import { visibleLength } from "./output";

const kindColour: Record<TimelineLine["kind"], (s: string) => string> = {
  created: chalk.green,
  added: chalk.green,
  changed: chalk.yellow,
  removed: chalk.red,
  deleted: chalk.red,
};
const detailColour = (line: string) =>
  line.startsWith("+") ? chalk.green(line) : line.startsWith("-") ? chalk.red(line) : chalk.yellow(line);

/** Newest first: one line per entry, a map's inner-key diff indented beneath it. */
export function renderTimeline(lines: readonly TimelineLine[]): string {
  const headers = ["time", "change", "attribute"] as const;
  const width = (i: number, cells: string[]) => Math.max(headers[i]?.length ?? 0, ...cells.map((c) => visibleLength(c)));
  const w = [
    width(
      0,
      lines.map((l) => l.time),
    ),
    width(
      1,
      lines.map((l) => l.kind),
    ),
    width(
      2,
      lines.map((l) => l.attribute),
    ),
  ];
  const pad = (text: string, n: number) => text + " ".repeat(Math.max(0, n - visibleLength(text)));
  const indent = " ".repeat((w[0] ?? 0) + (w[1] ?? 0) + 4);
  const out = [chalk.bold(`${pad("time", w[0] ?? 0)}  ${pad("change", w[1] ?? 0)}  ${pad("attribute", w[2] ?? 0)}  old → new`)];
  for (const line of lines) {
    const head = `${pad(line.time, w[0] ?? 0)}  ${kindColour[line.kind](pad(line.kind, w[1] ?? 0))}  ${pad(line.attribute, w[2] ?? 0)}  ${line.summary}`;
    out.push(head.trimEnd());
    for (const detail of line.details) out.push(`${indent}${detailColour(detail)}`);
  }
  return out.join("\n");
}
