import { describe, expect, it } from "vitest";
import { dayWindow } from "../../../../src/core/export/day-window";
import { parseFecha, windowIndexOf } from "../../../../src/core/export/fecha";

const instant = (iso: string) => ({ kind: "instant", instant: Date.parse(iso) });

describe("parseFecha", () => {
  it.each([
    ["2026-11-22T23:59:59-05:00", "2026-11-23T04:59:59Z"],
    ["2026-11-22T00:00:00+01:00", "2026-11-21T23:00:00Z"],
    ["2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z"],
    ["2026-11-22T10:00:00.123456Z", "2026-11-22T10:00:00.123Z"],
    ["2026-11-22T10:00Z", "2026-11-22T10:00:00Z"],
    ["2026-11-22T10:00:00+0530", "2026-11-22T04:30:00Z"],
    ["2026-11-22 10:00:00-03:00", "2026-11-22T13:00:00Z"],
  ])("date-time %s", (text, utc) => {
    expect(parseFecha({ S: text })).toEqual(instant(utc));
  });

  it("a plain date is a calendar day, not an instant", () => {
    expect(parseFecha({ S: "2026-11-22" })).toEqual({ kind: "date", day: "2026-11-22" });
  });

  it("epoch seconds and milliseconds, as numbers or digit strings", () => {
    const t = Date.parse("2026-11-22T12:00:00Z");
    expect(parseFecha({ N: String(t / 1000) })).toEqual({ kind: "instant", instant: t });
    expect(parseFecha({ N: String(t) })).toEqual({ kind: "instant", instant: t });
    expect(parseFecha({ S: String(t / 1000) })).toEqual({ kind: "instant", instant: t });
    expect(parseFecha({ N: "1763812800.5" })).toEqual({ kind: "instant", instant: 1763812800500 });
    // 1e11 is the boundary: below it seconds (up to the year 5138), from it milliseconds.
    expect(parseFecha({ N: "99999999999" })).toEqual({ kind: "instant", instant: 99999999999000 });
    expect(parseFecha({ N: "100000000000" })).toEqual({ kind: "instant", instant: 100000000000 });
  });

  it("a number in any notation is an epoch (the Scan filter drops numbers of other days as readable)", () => {
    const t = Date.parse("2026-11-22T11:00:00Z");
    expect(parseFecha({ N: "1.7953452E9" })).toEqual({ kind: "instant", instant: t });
    expect(parseFecha({ N: "1.7953452e+12" })).toEqual({ kind: "instant", instant: t });
    expect(parseFecha({ N: "+1795345200" })).toEqual({ kind: "instant", instant: t });
    expect(parseFecha({ N: ".5" })).toEqual({ kind: "instant", instant: 500 });
    // Strings stay digits only: "1.7953452E9" as text is not an accepted form.
    expect(parseFecha({ S: "1.7953452E9" })).toBeUndefined();
    // Beyond a Date's range a number is unreadable, in any notation.
    expect(parseFecha({ N: "8.64e15" })).toEqual({ kind: "instant", instant: 8.64e15 });
    expect(parseFecha({ N: "8.640000000000001e15" })).toBeUndefined();
  });

  it.each([
    [{ S: "ayer" }],
    [{ S: "2026-02-30" }],
    [{ S: "2026-02-30T10:00:00Z" }],
    [{ S: "2026-11-22T24:00:00Z" }],
    [{ S: "2026-11-22T10:00:00" }], // no offset: ambiguous, refused
    [{ S: "22/11/2026" }],
    [{ S: "" }],
    [{ N: "1e400" }],
    [{ BOOL: true }],
    [{ NULL: true }],
    [undefined],
  ])("unreadable: %j", (value) => {
    expect(parseFecha(value as never)).toBeUndefined();
  });
});

describe("windowIndexOf", () => {
  const windows = [dayWindow("2026-11-22", "America/Bogota"), dayWindow("2026-11-23", "America/Bogota")];
  it("places instants by the zone and dates by their text", () => {
    expect(windowIndexOf(instant("2026-11-22T05:00:00Z") as never, windows)).toBe(0);
    expect(windowIndexOf(instant("2026-11-22T04:59:59.999Z") as never, windows)).toBe(-1);
    expect(windowIndexOf(instant("2026-11-23T05:00:00Z") as never, windows)).toBe(1);
    expect(windowIndexOf({ kind: "date", day: "2026-11-23" }, windows)).toBe(1);
    expect(windowIndexOf({ kind: "date", day: "2026-11-24" }, windows)).toBe(-1);
  });
});
