import { describe, expect, it } from "vitest";
import type { ArchiveBody } from "../../../../src/core/archive/archive-object";
import { type ArchiveVersion, compareVersions, parseTimeBound } from "../../../../src/core/archive/lister";
import { archiveObjectKey, parseArchiveObjectKey } from "../../../../src/core/archive/object-key";

function version(deletedAt: string, eventId: string, sequence?: string): ArchiveVersion {
  const ref = parseArchiveObjectKey(archiveObjectKey("T", [{ name: "id", value: "x" }], deletedAt, eventId));
  if (!ref) throw new Error("unparsable");
  return { ...ref, ...(sequence ? { body: { record: { dynamodb: { SequenceNumber: sequence } } } as ArchiveBody } : {}) };
}

describe("ordering archived versions", () => {
  it("orders by time, then by stream sequence number within the same second", () => {
    const later = version("2026-11-23T16:30:23Z", "aaa", "1000000000000000000000000002");
    const earlier = version("2026-11-23T16:30:23Z", "fff", "999000000000000000000000001");
    const oldest = version("2026-11-23T16:30:22Z", "zzz", "9");
    expect([later, earlier, oldest].sort(compareVersions).map((v) => v.eventId)).toEqual(["zzz", "fff", "aaa"]);
  });
});

describe("--since / --until", () => {
  it("takes a date as UTC midnight and a date-time with its zone", () => {
    expect(parseTimeBound("2026-11-01", "--since")?.toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(parseTimeBound("2026-11-01T08:00:00+01:00", "--since")?.toISOString()).toBe("2026-11-01T07:00:00.000Z");
    expect(parseTimeBound(undefined, "--since")).toBeUndefined();
  });

  it("names the flag and the bad value", () => {
    expect(() => parseTimeBound("yesterday", "--until")).toThrow(/--until "yesterday"/);
    expect(() => parseTimeBound("2026-11-01T08:00:00", "--since")).toThrow(/--since "2026-11-01T08:00:00" is not/);
  });
});
