import { describe, expect, it } from "vitest";
import { dayOfFecha } from "../../../src/core/export/fecha-day";
import { demoConfigurationChanges, demoTraceabilityRecords } from "../../../src/local/demo-data";

describe("demo data", () => {
  const options = { day: "2026-11-23", timeZone: "Europe/Madrid", count: 50, retentionDays: 7, now: new Date("2026-11-23T18:00:00Z") };

  it("is deterministic for a day and spreads records over that business day", () => {
    const records = demoTraceabilityRecords(options);
    expect(records).toEqual(demoTraceabilityRecords(options));
    expect(new Set(records.map((r) => r.id?.S)).size).toBe(50);
    for (const record of records) {
      const fecha = record.fecha?.S ?? "";
      expect(fecha).toMatch(/^2026-11-23T(0[6-9]|1\d|2[0-2]):\d{2}:00\+01:00$/);
      expect(Number(record.expiresAt?.N)).toBe(Date.parse("2026-11-30T18:00:00Z") / 1000);
      // The writer's contract for the day index: dia is the business day of fecha.
      expect(record.dia?.S).toBe(dayOfFecha(record.fecha, options.timeZone));
    }
  });

  it("uses the zone's summer offset in summer", () => {
    const [first] = demoTraceabilityRecords({ ...options, day: "2026-07-01" });
    expect(first?.fecha?.S).toMatch(/\+02:00$/);
  });

  it("covers insert, modify, a no-op write and remove", () => {
    const changes = demoConfigurationChanges();
    expect(changes.filter((c) => c.kind === "delete")).toHaveLength(1);
    const ttlWrites = changes.filter((c) => c.kind === "put" && c.item.key?.S === "CACHE_TTL_SEC");
    expect(ttlWrites.map((c) => (c.kind === "put" ? c.item.value?.N : undefined))).toEqual(["3600", "1800", "1800"]);
  });
});
