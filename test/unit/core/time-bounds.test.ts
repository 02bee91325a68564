import { describe, expect, it } from "vitest";
import { isoWindow, parseTimeBound, parseTimeWindow } from "../../../src/core/time-bounds";

describe("--since / --until, one meaning for audit and archive", () => {
  it("a date is 00:00 UTC of that day, for either bound", () => {
    expect(parseTimeBound("2026-11-22", "--since")?.toISOString()).toBe("2026-11-22T00:00:00.000Z");
    expect(parseTimeBound("2026-11-22", "--until")?.toISOString()).toBe("2026-11-22T00:00:00.000Z");
    expect(parseTimeBound(undefined, "--since")).toBeUndefined();
  });

  it("a date-time is taken with its offset, and without one as UTC", () => {
    expect(parseTimeBound("2026-11-22T19:00:00+01:00", "--since")?.toISOString()).toBe("2026-11-22T18:00:00.000Z");
    expect(parseTimeBound("2026-11-22T18:00Z", "--until")?.toISOString()).toBe("2026-11-22T18:00:00.000Z");
    expect(parseTimeBound("2026-11-22T18:00:05.250", "--since")?.toISOString()).toBe("2026-11-22T18:00:05.250Z");
  });

  it("refuses anything else, naming the flag and the value", () => {
    for (const bad of ["yesterday", "2026-02-30", "22/11/2026", "2026-11-22 18:00", "2026-13-01T00:00Z"]) {
      expect(() => parseTimeBound(bad, "--until")).toThrow(`--until ${JSON.stringify(bad)} is not a date or date-time`);
    }
  });

  it("until is exclusive: a window must be non-empty, and two dates are the first day exactly", () => {
    expect(() => parseTimeWindow({ since: "2026-11-22", until: "2026-11-22" })).toThrow(/is not before --until/);
    expect(() => parseTimeWindow({ since: "2026-11-23", until: "2026-11-22" })).toThrow(/is not before --until/);
    expect(isoWindow(parseTimeWindow({ since: "2026-11-20", until: "2026-11-21" }))).toEqual({
      since: "2026-11-20T00:00:00.000Z",
      until: "2026-11-20T23:59:59.999Z",
    });
    expect(isoWindow(parseTimeWindow({}))).toEqual({ since: undefined, until: undefined });
  });
});
