import { describe, expect, it } from "vitest";
import { recheck } from "../../../../src/core/drill/compare";
import { type ExplainRules, explain, writeTimeRule } from "../../../../src/core/drill/explain";

const T = Date.parse("2026-11-24T12:00:00Z");
const rules: ExplainRules = {
  restorePoint: T,
  now: T + 3_600_000,
  ttlAttribute: "expiresAt",
  writeTime: writeTimeRule("TRAZABILIDAD", "Europe/Madrid"),
  slackMs: 15 * 60_000,
};
const record = (id: string, fecha: string, extra = {}) => ({ id: { S: id }, fecha: { S: fecha }, estado: { S: "OK" }, ...extra });
const key = (id: string) => JSON.stringify({ id });

describe("what accounts for a difference with the source as it is now", () => {
  it("a record missing from the restore whose fecha is after the restore point less the late-write slack was written later", () => {
    const later = record("A", "2026-11-24T11:50:00Z");
    expect(explain({ key: key("A"), kind: "missing" }, { source: later, restored: undefined }, rules)).toMatch(
      /^written after the restore point/,
    );
    const earlier = record("B", "2026-11-24T11:40:00Z");
    expect(explain({ key: key("B"), kind: "missing" }, { source: earlier, restored: undefined }, rules)).toBeUndefined();
    // A plain date counts as its day's end in the business zone (Madrid: 2026-11-24T23:00Z).
    expect(explain({ key: key("C"), kind: "missing" }, { source: record("C", "2026-11-24"), restored: undefined }, rules)).toMatch(
      /written/,
    );
  });

  it("an item in the restore and gone from the source is accounted for only when its TTL has passed", () => {
    const expired = record("D", "2026-11-17T10:00:00Z", { expiresAt: { N: String(T / 1000 + 60) } });
    expect(explain({ key: key("D"), kind: "extra" }, { source: undefined, restored: expired }, rules)).toMatch(/^expired \(expiresAt/);
    const alive = record("E", "2026-11-17T10:00:00Z", { expiresAt: { N: String(T / 1000 + 7_200) } });
    expect(explain({ key: key("E"), kind: "extra" }, { source: undefined, restored: alive }, rules)).toBeUndefined();
    const textTtl = record("F", "2026-11-17T10:00:00Z", { expiresAt: { S: "1" } });
    expect(explain({ key: key("F"), kind: "extra" }, { source: undefined, restored: textTtl }, rules)).toBeUndefined();
  });

  it("a changed item is accounted for only when it was written anew with a later fecha, never when changed in place", () => {
    const before = record("G", "2026-11-24T09:00:00Z");
    const inPlace = { ...before, estado: { S: "ENTREGADO" } };
    expect(explain({ key: key("G"), kind: "changed" }, { source: inPlace, restored: before }, rules)).toBeUndefined();
    const anew = record("G", "2026-11-24T12:05:00Z");
    expect(explain({ key: key("G"), kind: "changed" }, { source: anew, restored: before }, rules)).toMatch(/^rewritten after/);
  });

  it("uses no write time for Configuration, and Audit's modificationTime", () => {
    expect(writeTimeRule("Configuration", "UTC")).toBeUndefined();
    expect(writeTimeRule("Audit", "UTC")?.({ modificationTime: { S: "2026-11-24T12:00:00.000Z" } })).toBe(T);
  });
});

describe("re-reading a difference on both sides", () => {
  const a = record("A", "2026-11-24T09:00:00Z");
  it("resolves it when the restore holds what the source holds now (written between the read and the restore point)", () => {
    expect(recheck({ key: key("A"), kind: "changed" }, { source: a, restored: { ...a } })).toBeNull();
    expect(recheck({ key: key("A"), kind: "missing" }, { source: undefined, restored: undefined })).toBeNull();
  });
  it("keeps it otherwise, naming the attributes or the side it is missing from", () => {
    expect(recheck({ key: key("A"), kind: "changed" }, { source: a, restored: { ...a, estado: { S: "X" } } })).toEqual({
      key: key("A"),
      kind: "changed",
      attributes: ["estado"],
    });
    expect(recheck({ key: key("A"), kind: "changed" }, { source: a, restored: undefined })).toEqual({ key: key("A"), kind: "missing" });
    expect(recheck({ key: key("A"), kind: "missing" }, { source: undefined, restored: a })).toEqual({ key: key("A"), kind: "extra" });
  });
});
