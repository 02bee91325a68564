import { describe, expect, it } from "vitest";
import {
  archiveObjectKey,
  compactTimestamp,
  keyPrefix,
  parseArchiveObjectKey,
  parseKeyOption,
} from "../../../../src/core/archive/object-key";

const HARD_VALUES = [
  "A#1/x",
  "a/b/c",
  "with space",
  "100%",
  "k=v=w",
  "ñandú café",
  "日本語",
  "emoji 🚚",
  "..",
  "?&+",
  "%2F already encoded",
  "tab\tnew\nline",
  "trailing/",
];

describe("archive object keys", () => {
  it.each(HARD_VALUES)("round-trips the key value %j (partition and sort key)", (value) => {
    const keys = [
      { name: "pk#/=", value },
      { name: "sk", value: `${value}#2` },
    ];
    const objectKey = archiveObjectKey("dev-TRAZABILIDAD", keys, "2026-11-23T16:30:23.000Z", "ev/1");
    // Each value stays inside its own segment: table, two key segments, the file.
    expect(objectKey.split("/")).toHaveLength(5);
    const parsed = parseArchiveObjectKey(objectKey);
    expect(parsed).toMatchObject({ table: "dev-TRAZABILIDAD", keys, deletedAt: "2026-11-23T16:30:23.000Z", eventId: "ev/1" });
    expect(objectKey.startsWith(keyPrefix("dev-TRAZABILIDAD", keys))).toBe(true);
  });

  it("lays the key out as the contract says", () => {
    expect(archiveObjectKey("T", [{ name: "id", value: "A#1/x y" }], "2026-11-23T16:30:23Z", "abc")).toBe(
      "archive/T/id=A%231%2Fx%20y/20261123T163023.000Z_abc.json",
    );
  });

  it("keys of one item sort by deletion time", () => {
    const times = ["2026-11-23T16:30:23.000Z", "2026-01-02T00:00:00.000Z", "2026-11-23T16:30:23.500Z", "2025-12-31T23:59:59.999Z"];
    const keys = times.map((t) => archiveObjectKey("T", [{ name: "id", value: "x" }], t, "e"));
    expect([...keys].sort().map((k) => parseArchiveObjectKey(k)?.deletedAt)).toEqual([...times].sort());
  });

  it("a value that is a prefix of another does not share its folder", () => {
    expect(keyPrefix("T", [{ name: "id", value: "a" }])).toBe("archive/T/id=a/");
    expect(archiveObjectKey("T", [{ name: "id", value: "ab" }], "2026-01-01T00:00:00Z", "e").startsWith("archive/T/id=a/")).toBe(false);
  });

  it("ignores objects that are not archive versions", () => {
    expect(parseArchiveObjectKey("exports/T/dt=2026-11-01/T_2026-11-01.csv")).toBeUndefined();
    expect(parseArchiveObjectKey("archive/T/id=x/notes.txt")).toBeUndefined();
    expect(parseArchiveObjectKey("archive/T/id=%E0%A4%A/20261123T163023.000Z_e.json")).toBeUndefined();
  });

  it("compacts timestamps to fixed-width UTC", () => {
    expect(compactTimestamp("2026-11-23T17:30:23+01:00")).toBe("20261123T163023.000Z");
  });

  it("parses --key name=value, keeping later '=' in the value", () => {
    expect(parseKeyOption("id=a=b")).toEqual({ name: "id", value: "a=b" });
    expect(parseKeyOption("id=")).toEqual({ name: "id", value: "" });
    expect(() => parseKeyOption("=x")).toThrow(/name=value/);
    expect(() => parseKeyOption("id")).toThrow(/name=value/);
  });
});
