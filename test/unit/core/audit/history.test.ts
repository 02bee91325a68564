import { describe, expect, it } from "vitest";
import { parseTimeBound, readAuditHistory } from "../../../../src/core/audit/history";

describe("parseTimeBound", () => {
  it("a date is the whole UTC day: its start for since, its last millisecond for until", () => {
    expect(parseTimeBound("2026-11-22", "since")).toBe("2026-11-22T00:00:00.000Z");
    expect(parseTimeBound("2026-11-22", "until")).toBe("2026-11-22T23:59:59.999Z");
  });

  it("a date-time is taken with its offset, and without one as UTC", () => {
    expect(parseTimeBound("2026-11-22T19:00:00+01:00", "since")).toBe("2026-11-22T18:00:00.000Z");
    expect(parseTimeBound("2026-11-22T18:00Z", "until")).toBe("2026-11-22T18:00:00.000Z");
    expect(parseTimeBound("2026-11-22T18:00:05.250", "since")).toBe("2026-11-22T18:00:05.250Z");
  });

  it("refuses anything else, naming the flag and the value", () => {
    for (const bad of ["yesterday", "2026-02-30", "22/11/2026", "2026-11-22 18:00", "2026-13-01T00:00Z"]) {
      expect(() => parseTimeBound(bad, "until")).toThrow(`--until ${JSON.stringify(bad)} is not a date or date-time`);
    }
  });
});

describe("readAuditHistory option checks (before any request)", () => {
  const never = { send: () => Promise.reject(new Error("no request expected")) };
  const base = { tableName: "Audit", indexName: "idx", itemKey: "K" };

  it("refuses a window that ends before it starts", async () => {
    await expect(
      readAuditHistory(never, { ...base, since: "2026-11-23T00:00:00.000Z", until: "2026-11-22T00:00:00.000Z" }),
    ).rejects.toThrow(/is after --until/);
  });

  it("refuses a limit that is not a positive integer", async () => {
    await expect(readAuditHistory(never, { ...base, limit: 0 })).rejects.toMatchObject({ exitCode: 2 });
  });
});
