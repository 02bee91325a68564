// When the scheduled export is judged, and its verdict from the day's manifest (src/core/health/export-run.ts).
import { describe, expect, it } from "vitest";
import { judgeRun, runsAt, scheduledRun } from "../../../../src/core/health/export-run";

const madrid = { timeZone: "Europe/Madrid", exportHour: 19, lateAfterMinutes: 60 };

describe("scheduled export runs", () => {
  it("fires at 19:00 wall-clock time in the zone, DST included", () => {
    expect(new Date(scheduledRun("2026-01-15", madrid).at).toISOString()).toBe("2026-01-15T18:00:00.000Z");
    expect(new Date(scheduledRun("2026-07-15", madrid).at).toISOString()).toBe("2026-07-15T17:00:00.000Z");
    // The days the clocks change (29 March, 25 October 2026).
    expect(new Date(scheduledRun("2026-03-29", madrid).at).toISOString()).toBe("2026-03-29T17:00:00.000Z");
    expect(new Date(scheduledRun("2026-10-25", madrid).at).toISOString()).toBe("2026-10-25T18:00:00.000Z");
    expect(new Date(scheduledRun("2026-01-15", madrid).deadline).toISOString()).toBe("2026-01-15T19:00:00.000Z");
  });

  it("judges yesterday's run until today's deadline, then today's", () => {
    expect(runsAt(Date.parse("2026-01-15T10:00:00Z"), madrid)).toMatchObject({ judged: { day: "2026-01-14" }, todayState: "notYet" });
    expect(runsAt(Date.parse("2026-01-15T18:30:00Z"), madrid)).toMatchObject({ judged: { day: "2026-01-14" }, todayState: "due" });
    expect(runsAt(Date.parse("2026-01-15T19:00:00Z"), madrid)).toMatchObject({ judged: { day: "2026-01-15" }, todayState: "judged" });
  });

  it("verdicts: on time, landed late, late, pending", () => {
    const run = scheduledRun("2026-01-15", madrid);
    const at = (iso: string) => ({ finishedAt: iso });
    expect(judgeRun(run, at("2026-01-15T18:05:00Z"), Date.parse("2026-01-16T08:00:00Z"))).toBe("on-time");
    expect(judgeRun(run, at("2026-01-15T19:30:00Z"), Date.parse("2026-01-16T08:00:00Z"))).toBe("landed-late");
    expect(judgeRun(run, null, Date.parse("2026-01-15T19:00:00Z"))).toBe("late");
    // A manifest from an earlier run (a manual export in the morning) is not this run's.
    expect(judgeRun(run, at("2026-01-15T09:00:00Z"), Date.parse("2026-01-15T19:30:00Z"))).toBe("late");
    expect(judgeRun(run, null, Date.parse("2026-01-15T18:30:00Z"))).toBe("pending");
  });
});
