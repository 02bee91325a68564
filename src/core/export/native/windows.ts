/**
 * Which DynamoDB export to ask for when a day goes through the native path, and over which
 * windows. DynamoDB's incremental export covers a write-time period of at least 15 minutes and at
 * most 24 hours (bounds as issue 14 states them), inside the table's point-in-time recovery window
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_IncrementalExportSpecification.html);
 * a day in the business zone is 23, 24 or 25 hours long, plus a slack for late writes, so a day
 * may need two windows. Where incremental is not possible the plan is a full export at `now`;
 * without point-in-time recovery no export is possible at all.
 */
import type { DayWindow } from "../day-window";

/** Shortest period DynamoDB accepts for an incremental export. */
export const MIN_INCREMENTAL_MS = 15 * 60_000;
/** Longest period DynamoDB accepts for an incremental export. */
export const MAX_INCREMENTAL_MS = 24 * 3_600_000;

export interface ExportWindow {
  /** ExportFromTime, inclusive (epoch ms). */
  from: number;
  /** ExportToTime, exclusive (epoch ms). */
  to: number;
}

export type NativeExportPlan =
  | { type: "INCREMENTAL_EXPORT"; windows: ExportWindow[] }
  | { type: "FULL_EXPORT"; reason: string }
  /** Every DynamoDB export, full or incremental, needs point-in-time recovery on the table. */
  | { type: "UNAVAILABLE"; reason: string };

export interface PlanInput {
  /** The day's UTC window in the business zone. */
  window: DayWindow;
  /** Late writes: how long after the day's end a record dated that day may still be written. */
  slackMs: number;
  /** From DescribeContinuousBackups: is point-in-time recovery on? */
  pitrEnabled: boolean;
  /** From DescribeContinuousBackups: EarliestRestorableDateTime (epoch ms). */
  earliestRestorable?: number;
  /** Now (epoch ms); the export's end must lie in the past. */
  now: number;
}

/**
 * Plans the export for a day: incremental over [start, end + slack) when PITR covers the start of
 * the day and the end lies in the past, split into windows no longer than 24 hours (the last one
 * stretched back so that none is shorter than 15 minutes); otherwise a full export, with the reason.
 * An incremental export holds only the items written inside its period: a record written before
 * the day's start but dated inside the day is not in it (the day attribute's contract for writers).
 */
export function planNativeExport(input: PlanInput): NativeExportPlan {
  const from = input.window.start;
  const to = input.window.end + input.slackMs;
  if (!input.pitrEnabled) return { type: "UNAVAILABLE", reason: "point-in-time recovery is off on the table" };
  if (input.earliestRestorable === undefined || input.earliestRestorable > from) {
    return { type: "FULL_EXPORT", reason: "point-in-time recovery does not reach back to the start of the day" };
  }
  if (to > input.now) {
    return { type: "FULL_EXPORT", reason: "the day plus its late-write slack has not ended yet" };
  }
  return { type: "INCREMENTAL_EXPORT", windows: splitWindows(from, to) };
}

/** Cuts [from, to) into consecutive windows of at most 24 hours, none shorter than 15 minutes. */
export function splitWindows(from: number, to: number): ExportWindow[] {
  if (to - from < MIN_INCREMENTAL_MS) return [{ from: to - MIN_INCREMENTAL_MS, to }];
  const windows: ExportWindow[] = [];
  for (let start = from; start < to; start += MAX_INCREMENTAL_MS) {
    windows.push({ from: start, to: Math.min(start + MAX_INCREMENTAL_MS, to) });
  }
  const last = windows[windows.length - 1] as ExportWindow;
  if (windows.length > 1 && last.to - last.from < MIN_INCREMENTAL_MS) {
    // An overlap beats a gap: an item written inside it appears in both exports, so the reader
    // keeps one image per key (the latest write time).
    last.from = last.to - MIN_INCREMENTAL_MS;
  }
  return windows;
}
