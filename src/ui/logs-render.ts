// `trace logs` for people: a Powertools line (JSON: level, message, timestamp, service, extra keys)
// becomes one readable line; an EMF line lists its metrics; anything else is shown as written.
import chalk from "chalk";
import type { LogEvent } from "../core/logs/logs";

const LEVEL_COLOUR: Record<string, (s: string) => string> = {
  ERROR: chalk.red,
  CRITICAL: chalk.red,
  WARN: chalk.yellow,
  INFO: chalk.cyan,
  DEBUG: chalk.dim,
};
const POWERTOOLS_KEYS = new Set([
  "level",
  "message",
  "timestamp",
  "service",
  "sampling_rate",
  "xray_trace_id",
  "cold_start",
  "function_arn",
  "function_memory_size",
  "function_name",
  "function_request_id",
]);

const value = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** The event's message as JSON when it is a JSON object, else undefined. */
export function parsedMessage(message: string): Record<string, unknown> | undefined {
  const text = message.trim();
  if (!text.startsWith("{")) return undefined;
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function renderLogEvent(event: LogEvent, showGroup: boolean): string {
  const time = new Date(event.timestamp).toISOString().replace("T", " ").slice(0, 23);
  const where = showGroup ? `${chalk.dim(event.logGroup.replace(/^\/aws\/lambda\//, ""))} ` : "";
  const json = parsedMessage(event.message);
  if (json && "_aws" in json) {
    const aws = json._aws as { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] };
    const names = (aws.CloudWatchMetrics ?? []).flatMap((d) => d.Metrics ?? []).map((m) => m.Name);
    return `${time} ${where}${chalk.magenta("METRIC")} ${names.map((n) => `${n}=${value(json[n])}`).join(" ")}`;
  }
  if (json && typeof json.level === "string" && "message" in json) {
    const level = json.level.toUpperCase();
    const extra = Object.entries(json)
      .filter(([k]) => !POWERTOOLS_KEYS.has(k))
      .map(([k, v]) => `${chalk.dim(`${k}=`)}${value(v)}`);
    return [`${time} ${where}${(LEVEL_COLOUR[level] ?? ((s: string) => s))(level.padEnd(5))}`, value(json.message), ...extra].join(" ");
  }
  return `${time} ${where}${event.message.trimEnd()}`;
}
