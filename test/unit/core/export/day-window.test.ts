import { describe, expect, it } from "vitest";
import { addDays, dayInZone, daysBetween, dayWindow, parseDay, today } from "../../../../src/core/export/day-window";

describe("parseDay", () => {
  it.each(["2026-11-22", "2024-02-29", "2026-12-31", "2026-01-01"])("accepts %s", (day) => {
    expect(parseDay(day)).toBe(day);
  });
  it.each(["2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "22/11/2026", "2026-1-5", "2026-11-22T00:00", ""])(
    "refuses %s with a usage error naming it",
    (day) => {
      expect(() => parseDay(day, "--from")).toThrow(
        expect.objectContaining({ code: "USAGE", message: `--from ${JSON.stringify(day)} is not a valid date` }),
      );
    },
  );
});

describe("days", () => {
  it("steps across months, years and leap days", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
    expect(addDays("2026-11-22", -1)).toBe("2026-11-21");
    expect(daysBetween("2026-02-27", "2026-03-02")).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
    expect(daysBetween("2026-03-02", "2026-03-02")).toEqual(["2026-03-02"]);
  });

  it("today is the day in the zone, not in UTC", () => {
    const t = Date.parse("2026-11-23T03:00:00Z");
    expect(today("UTC", t)).toBe("2026-11-23");
    expect(today("America/Bogota", t)).toBe("2026-11-22");
    expect(today("Asia/Tokyo", Date.parse("2026-11-22T15:00:00Z"))).toBe("2026-11-23");
  });
});

describe("dayWindow", () => {
  it("fixed offsets", () => {
    expect(dayWindow("2026-11-22", "UTC")).toMatchObject({
      start: Date.parse("2026-11-22T00:00:00Z"),
      end: Date.parse("2026-11-23T00:00:00Z"),
    });
    expect(dayWindow("2026-11-22", "America/Bogota")).toMatchObject({
      start: Date.parse("2026-11-22T05:00:00Z"),
      end: Date.parse("2026-11-23T05:00:00Z"),
    });
    expect(dayWindow("2026-11-22", "Asia/Kolkata")).toMatchObject({ start: Date.parse("2026-11-21T18:30:00Z") });
  });

  it("DST days in Madrid are 23 and 25 hours long", () => {
    const spring = dayWindow("2026-03-29", "Europe/Madrid");
    expect(spring.start).toBe(Date.parse("2026-03-28T23:00:00Z"));
    expect((spring.end - spring.start) / 3_600_000).toBe(23);
    const autumn = dayWindow("2026-10-25", "Europe/Madrid");
    expect(autumn.start).toBe(Date.parse("2026-10-24T22:00:00Z"));
    expect((autumn.end - autumn.start) / 3_600_000).toBe(25);
  });

  it("a day whose midnight does not exist starts at the first instant of that day", () => {
    // Chile moves clocks from 00:00 to 01:00 on 2026-09-06.
    const w = dayWindow("2026-09-06", "America/Santiago");
    expect(dayInZone(w.start, "America/Santiago")).toBe("2026-09-06");
    expect(dayInZone(w.start - 1, "America/Santiago")).toBe("2026-09-05");
    expect((w.end - w.start) / 3_600_000).toBe(23);
  });

  it("every day of a year, in several zones: the window edges fall exactly on the day boundary", () => {
    for (const zone of ["Europe/Madrid", "America/Bogota", "America/Santiago", "Australia/Lord_Howe", "Pacific/Chatham", "UTC"]) {
      for (const day of daysBetween("2026-01-01", "2026-12-31")) {
        const w = dayWindow(day, zone);
        expect(dayInZone(w.start, zone)).toBe(day);
        expect(dayInZone(w.start - 1, zone)).toBe(addDays(day, -1));
        expect(dayInZone(w.end - 1, zone)).toBe(day);
        expect(dayInZone(w.end, zone)).toBe(addDays(day, 1));
      }
    }
  });
});
