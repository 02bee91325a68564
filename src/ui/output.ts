// Rendering helpers for stdout: JSON for scripts, aligned tables for people.
import chalk from "chalk";
import { stringifyExact } from "../core/exact-json";

export interface Output {
  readonly json: boolean;
  /** Prints the result: `value` as JSON with --json, otherwise the human rendering. */
  result<T>(value: T, human: (value: T) => string | undefined): void;
  /** One compact JSON object on one line (NDJSON streams such as `deploy --json`). */
  line(value: unknown): void;
}

export function createOutput(json: boolean, stream: NodeJS.WritableStream = process.stdout): Output {
  return {
    json,
    result(value, human) {
      if (json) {
        stream.write(`${stringifyExact(value, 2)}\n`);
        return;
      }
      const text = human(value);
      if (text !== undefined && text !== "") stream.write(text.endsWith("\n") ? text : `${text}\n`);
    },
    line(value) {
      stream.write(`${stringifyExact(value)}\n`);
    },
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g;
export const visibleLength = (text: string) => text.replace(ANSI, "").length;

/** A plain aligned table (no box drawing: it pastes cleanly into tickets and chat). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const pad = (cell: string, i: number) => cell + " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
  const head = headers.map((h, i) => chalk.bold(pad(h, i))).join("  ");
  const body = rows.map((r) =>
    headers
      .map((_, i) => pad(r[i] ?? "", i))
      .join("  ")
      .trimEnd(),
  );
  return [head.trimEnd(), ...body].join("\n");
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
