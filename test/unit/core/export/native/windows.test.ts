import { describe, expect, it } from "vitest";
import { dayWindow } from "../../../../../src/core/export/day-window";
import { MAX_INCREMENTAL_MS, MIN_INCREMENTAL_MS, planNativeExport, splitWindows } from "../../../../../src/core/export/native/windows";

const HOUR = 3_600_000;
const SLACK = 15 * 60_000;

function assertDynamoRules(windows: { from: number; to: number }[], from: number, to: number) {
  // DynamoDB rejects periods shorter than 15 minutes or longer than 24 hours; moto does not check.
  for (const w of windows) {
    expect(w.to - w.from).toBeGreaterThanOrEqual(MIN_INCREMENTAL_MS);
    expect(w.to - w.from).toBeLessThanOrEqual(MAX_INCREMENTAL_MS);
  }
  expect(windows[0]?.from).toBeLessThanOrEqual(from);
  expect(windows.at(-1)?.to).toBe(to);
  for (let i = 1; i < windows.length; i++) expect(windows[i]?.from).toBeLessThanOrEqual(windows[i - 1]?.to ?? 0);
}

describe("native export windows", () => {
  it("a 24-hour day plus slack needs two windows, the second stretched to 15 minutes", () => {
    const day = dayWindow("2026-11-22", "America/Bogota");
    const plan = planNativeExport({
      window: day,
      slackMs: SLACK,
      pitrEnabled: true,
      earliestRestorable: day.start - HOUR,
      now: day.end + 2 * HOUR,
    });
    expect(plan.type).toBe("INCREMENTAL_EXPORT");
    if (plan.type !== "INCREMENTAL_EXPORT") return;
    expect(plan.windows).toEqual([
      { from: day.start, to: day.start + 24 * HOUR },
      { from: day.end + SLACK - MIN_INCREMENTAL_MS, to: day.end + SLACK },
    ]);
    assertDynamoRules(plan.windows, day.start, day.end + SLACK);
  });

  it("a 25-hour DST day (Madrid, last Sunday of October) needs two windows covering all 25 hours", () => {
    const day = dayWindow("2026-10-25", "Europe/Madrid");
    expect(day.end - day.start).toBe(25 * HOUR);
    const plan = planNativeExport({ window: day, slackMs: 0, pitrEnabled: true, earliestRestorable: day.start, now: day.end });
    if (plan.type !== "INCREMENTAL_EXPORT") throw new Error(`expected incremental, got ${plan.reason}`);
    expect(plan.windows).toHaveLength(2);
    expect(plan.windows[1]).toEqual({ from: day.start + 24 * HOUR, to: day.end });
    assertDynamoRules(plan.windows, day.start, day.end);
  });

  it("a 23-hour DST day with a short slack fits one window", () => {
    const day = dayWindow("2026-03-29", "Europe/Madrid");
    expect(day.end - day.start).toBe(23 * HOUR);
    const plan = planNativeExport({
      window: day,
      slackMs: 30 * 60_000,
      pitrEnabled: true,
      earliestRestorable: 0,
      now: day.end + 24 * HOUR,
    });
    expect(plan).toEqual({ type: "INCREMENTAL_EXPORT", windows: [{ from: day.start, to: day.end + 30 * 60_000 }] });
  });

  it("falls back to a full export, naming why, when incremental is not possible; none without PITR", () => {
    const day = dayWindow("2026-11-22", "America/Bogota");
    const base = { window: day, slackMs: SLACK, now: day.end + 2 * HOUR };
    // DynamoDB exports nothing, full or incremental, from a table without PITR.
    expect(planNativeExport({ ...base, pitrEnabled: false })).toEqual({
      type: "UNAVAILABLE",
      reason: "point-in-time recovery is off on the table",
    });
    expect(planNativeExport({ ...base, pitrEnabled: true, earliestRestorable: day.start + HOUR })).toMatchObject({
      type: "FULL_EXPORT",
      reason: expect.stringContaining("does not reach back"),
    });
    expect(planNativeExport({ ...base, pitrEnabled: true, earliestRestorable: 0, now: day.end })).toMatchObject({
      type: "FULL_EXPORT",
      reason: expect.stringContaining("not ended"),
    });
  });

  it("splits long spans into 24-hour windows and widens a too-short span back to 15 minutes", () => {
    const windows = splitWindows(0, 50 * HOUR);
    expect(windows.map((w) => (w.to - w.from) / HOUR)).toEqual([24, 24, 2]);
    assertDynamoRules(windows, 0, 50 * HOUR);
    // 24 h + 5 min: the 5-minute tail is widened back to 15 minutes, overlapping the first window.
    expect(splitWindows(0, 24 * HOUR + 5 * 60_000)).toEqual([
      { from: 0, to: 24 * HOUR },
      { from: 24 * HOUR + 5 * 60_000 - MIN_INCREMENTAL_MS, to: 24 * HOUR + 5 * 60_000 },
    ]);
    expect(splitWindows(HOUR, HOUR + 60_000)).toEqual([{ from: HOUR + 60_000 - MIN_INCREMENTAL_MS, to: HOUR + 60_000 }]);
  });
});
