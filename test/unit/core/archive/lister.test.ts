import { describe, expect, it } from "vitest";
import type { ArchiveBody } from "../../../../src/core/archive/archive-object";
import { type ArchiveVersion, compareVersions } from "../../../../src/core/archive/lister";
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
