/**
 * The Scan FilterExpression on `fecha`: DynamoDB drops, before they are sent, the records the
 * export would read and then skip, where it can tell them apart exactly. It must be a superset of
 * what the export keeps: every record of the exported days, and every record whose `fecha` is
 * missing or unreadable (those are counted in every manifest).
 *
 * Only numbers qualify. A number `fecha` is always readable (epoch seconds below 1e11, else
 * milliseconds) unless its magnitude is beyond a JavaScript Date, so the filter drops the numbers
 * that are neither in the window (read either way, with a second of slack for the client's float
 * rounding) nor out of range. Strings are all kept: a FilterExpression can compare and prefix-match
 * a string but not check its form, so "2026-11-10T10:00" (no offset: unreadable) and
 * "2026-11-10T10:00Z" (readable, another day) cannot be told apart, and dropping both would hide
 * the unreadable one from the count. Missing values and other types are kept for the same reason.
 */
import type { DayWindow } from "./day-window";
import { MAX_EPOCH_MS } from "./fecha";
import type { ScanFilter } from "./scan";

/** Slack around the window, in ms: float rounding of a 17-digit epoch is far below it. */
const SLACK_MS = 1000;

/** The filter for a scan exporting `windows` (their span, start to end). */
export function fechaScanFilter(windows: readonly DayWindow[]): ScanFilter {
  const start = Math.min(...windows.map((w) => w.start)) - SLACK_MS;
  const end = Math.max(...windows.map((w) => w.end)) + SLACK_MS;
  return {
    FilterExpression:
      "NOT attribute_type(#fecha, :number) OR #fecha BETWEEN :s0 AND :s1 OR #fecha BETWEEN :ms0 AND :ms1 OR #fecha > :max OR #fecha < :min",
    ExpressionAttributeNames: { "#fecha": "fecha" },
    ExpressionAttributeValues: {
      ":number": { S: "N" },
      ":s0": { N: String(Math.floor(start / 1000)) },
      ":s1": { N: String(Math.ceil(end / 1000)) },
      ":ms0": { N: String(start) },
      ":ms1": { N: String(end) },
      ":max": { N: String(MAX_EPOCH_MS) },
      ":min": { N: String(-MAX_EPOCH_MS) },
    },
  };
}
