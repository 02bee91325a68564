/**
 * When the scheduled export is due and when it is late, and whether a day's manifest shows that
 * run landed: one rule shared by `trace health` and the export function's late check (the
 * schedule at the export hour plus `exportLateAfterMinutes`, which feeds the ExportLate alarm).
 */
import { addDays, type Day, dayInZone, wallTimeInstant } from "../export/day-window";
import type { ExportManifest } from "../export/manifest";

export interface ExportSchedule {
  timeZone: string;
  exportHour: number;
  /** Minutes after the export hour by which the day's manifest must have landed. */
  lateAfterMinutes: number;
}

/** One firing of the daily schedule: it exports `day` so far and re-exports the day before. */
export interface ScheduledRun {
  day: Day;
  /** When the schedule fires (epoch ms). */
  at: number;
  /** When the day's manifest must have landed (epoch ms). */
  deadline: number;
}

export function scheduledRun(day: Day, schedule: ExportSchedule): ScheduledRun {
  const at = wallTimeInstant(day, schedule.exportHour, schedule.timeZone);
  return { day, at, deadline: at + schedule.lateAfterMinutes * 60_000 };
}

/**
 * The runs that matter at `now`: `judged`, the newest run whose deadline has passed (its manifest
 * must be there), and `due`, today's run when it has fired but its deadline has not passed yet
 * (not late yet), or has not fired (`notYet`).
 */
export function runsAt(
  now: number,
  schedule: ExportSchedule,
): { judged: ScheduledRun; today: ScheduledRun; todayState: "judged" | "due" | "notYet" } {
  const todayRun = scheduledRun(dayInZone(now, schedule.timeZone), schedule);
  if (now >= todayRun.deadline) return { judged: todayRun, today: todayRun, todayState: "judged" };
  return {
    judged: scheduledRun(addDays(todayRun.day, -1), schedule),
    today: todayRun,
    todayState: now >= todayRun.at ? "due" : "notYet",
  };
}

/**
 * - `on-time`: the day's manifest was written by this run or a later one, by the deadline;
 * - `landed-late`: written after the deadline (it is there now; the late alarm fired);
 * - `late`: the deadline has passed and the manifest is missing or older than the run;
 * - `pending`: the deadline has not passed and the manifest is missing or older than the run.
 */
export type RunVerdict = "on-time" | "landed-late" | "late" | "pending";

export function judgeRun(run: ScheduledRun, manifest: Pick<ExportManifest, "finishedAt"> | null, now: number): RunVerdict {
  const finished = manifest ? Date.parse(manifest.finishedAt) : Number.NaN;
  if (Number.isNaN(finished) || finished < run.at) return now >= run.deadline ? "late" : "pending";
  return finished <= run.deadline ? "on-time" : "landed-late";
}

/** A verdict the health check counts as a problem. */
export const isLate = (verdict: RunVerdict) => verdict === "late";
