import { afterEach, describe, expect, it, vi } from "vitest";
import { plainItem } from "../../../../src/core/audit/attribute-values";
import { auditEntries, changeKind, entryId, fromAuditItem, toAuditItem } from "../../../../src/core/audit/entries";
import { plainEntry } from "../../../../src/core/audit/present";
import { stringifyExact } from "../../../../src/core/exact-json";
import { insertRecord, modifyRecord, removeRecord } from "../../../support/stream-records";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// 2026-11-23T16:30:22Z
const AT = 1_795_451_422;
const AT_ISO = "2026-11-23T16:30:22.000Z";

/** The entry as a user reads it: plain JSON, parsed back (so 3600 must be a JSON number). */
const asJson = (entry: Parameters<typeof plainEntry>[0]) => JSON.parse(stringifyExact(plainEntry(entry)));

describe("auditEntries: the user's examples, to the letter", () => {
  it("saving {key: CACHE_TTL_SEC, value: 3600} makes one entry with the whole item as newValue", () => {
    const entries = auditEntries(insertRecord({ key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } }, { at: AT }));
    expect(entries).toHaveLength(1);
    const json = asJson(entries[0] as never);
    expect(json).toEqual({
      id: expect.stringMatching(UUID_V4),
      itemKey: "CACHE_TTL_SEC",
      modificationTime: AT_ISO,
      newValue: { key: "CACHE_TTL_SEC", value: 3600 },
    });
    expect(Object.keys(json)).toEqual(["id", "itemKey", "modificationTime", "newValue"]);
    expect(stringifyExact(plainEntry(entries[0] as never))).toContain('"value":3600}');
  });

  it("updating value to 1800 makes one entry naming the attribute, old and new numbers", () => {
    const entries = auditEntries(
      modifyRecord(
        { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } },
        { key: { S: "CACHE_TTL_SEC" }, value: { N: "1800" } },
        { at: AT },
      ),
    );
    expect(entries.map(asJson)).toEqual([
      {
        id: expect.stringMatching(UUID_V4),
        itemKey: "CACHE_TTL_SEC",
        modificationTime: AT_ISO,
        updatedAttribute: "value",
        oldValue: 3600,
        newValue: 1800,
      },
    ]);
    // DynamoDB types are kept in the Audit item itself.
    expect(toAuditItem(entries[0] as never)).toMatchObject({ oldValue: { N: "3600" }, newValue: { N: "1800" } });
  });
});

describe("auditEntries: MODIFY", () => {
  const before = { key: { S: "K" }, a: { S: "x" }, b: { N: "1" }, c: { BOOL: true }, gone: { S: "bye" } };
  const after = { key: { S: "K" }, a: { S: "y" }, b: { N: "2" }, c: { BOOL: true }, fresh: { L: [{ S: "hi" }] } };

  it("makes one entry per changed, added and removed top-level attribute, sorted by name", () => {
    const entries = auditEntries(modifyRecord(before, after));
    expect(entries.map((e) => [e.updatedAttribute, changeKind(e)])).toEqual([
      ["a", "changed"],
      ["b", "changed"],
      ["fresh", "added"],
      ["gone", "removed"],
    ]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(4);
    for (const e of entries) expect(e.id).toMatch(UUID_V4);
  });

  it("leaves oldValue out when the attribute was added and newValue out when it was removed", () => {
    const entries = auditEntries(modifyRecord(before, after));
    const added = entries.find((e) => e.updatedAttribute === "fresh");
    const removed = entries.find((e) => e.updatedAttribute === "gone");
    expect(added && "oldValue" in added).toBe(false);
    expect(added?.newValue).toEqual({ L: [{ S: "hi" }] });
    expect(removed && "newValue" in removed).toBe(false);
    expect(removed?.oldValue).toEqual({ S: "bye" });
    expect(Object.keys(toAuditItem(added as never)).sort()).toEqual(["id", "itemKey", "modificationTime", "newValue", "updatedAttribute"]);
    expect(Object.keys(toAuditItem(removed as never)).sort()).toEqual([
      "id",
      "itemKey",
      "modificationTime",
      "oldValue",
      "updatedAttribute",
    ]);
  });

  it("a write that changes nothing makes no entry (sets in another order and 1.50 vs 1.5 are no change)", () => {
    const image = { key: { S: "K" }, v: { N: "3600" }, tags: { SS: ["a", "b"] }, m: { M: { x: { N: "1.50" } } } };
    expect(auditEntries(modifyRecord(image, image))).toEqual([]);
    const same = { key: { S: "K" }, v: { N: "3600" }, tags: { SS: ["b", "a"] }, m: { M: { x: { N: "1.5" } } } };
    expect(auditEntries(modifyRecord(image, same))).toEqual([]);
  });

  it("a type change is a change (the number 1 and the string '1' differ)", () => {
    const entries = auditEntries(modifyRecord({ key: { S: "K" }, v: { N: "1" } }, { key: { S: "K" }, v: { S: "1" } }));
    expect(entries.map(asJson)).toMatchObject([{ updatedAttribute: "v", oldValue: 1, newValue: "1" }]);
  });
});

describe("auditEntries: INSERT and REMOVE", () => {
  it("REMOVE carries the whole old item as oldValue", () => {
    const old = { key: { S: "FEATURE_X" }, enabled: { BOOL: false }, owners: { SS: ["ana", "luis"] } };
    const entries = auditEntries(removeRecord(old, { at: AT }));
    expect(entries.map(asJson)).toEqual([
      {
        id: expect.stringMatching(UUID_V4),
        itemKey: "FEATURE_X",
        modificationTime: AT_ISO,
        oldValue: { key: "FEATURE_X", enabled: false, owners: ["ana", "luis"] },
      },
    ]);
    expect(entries[0]?.oldValue).toEqual({ M: old });
    expect(changeKind(entries[0] as never)).toBe("deleted");
  });

  it("nested maps and lists stay maps and lists, with their types", () => {
    const limits = {
      M: { daily: { N: "10" }, regions: { L: [{ S: "eu" }, { N: "7" }] }, inner: { M: { on: { BOOL: true }, off: { NULL: true } } } },
    };
    const [insert] = auditEntries(insertRecord({ key: { S: "LIMITS" }, limits }));
    expect(insert?.newValue).toEqual({ M: { key: { S: "LIMITS" }, limits } });
    expect(asJson(insert as never).newValue).toEqual({
      key: "LIMITS",
      limits: { daily: 10, regions: ["eu", 7], inner: { on: true, off: null } },
    });
    const changed = { M: { ...limits.M, daily: { N: "20" } } };
    const [modify] = auditEntries(modifyRecord({ key: { S: "LIMITS" }, limits }, { key: { S: "LIMITS" }, limits: changed }));
    expect(modify).toMatchObject({ updatedAttribute: "limits", oldValue: limits, newValue: changed });
  });

  it("38-digit numbers keep every digit, in the item and in JSON", () => {
    const big = "12345678901234567890123456789012345678";
    const tiny = "-0.00000000000000000000000000000000000001";
    const [entry] = auditEntries(insertRecord({ key: { S: "BIG" }, n: { N: big }, t: { N: tiny }, ns: { NS: [big, "1"] } }));
    expect(toAuditItem(entry as never).newValue).toEqual({
      M: { key: { S: "BIG" }, n: { N: big }, t: { N: tiny }, ns: { NS: [big, "1"] } },
    });
    const text = stringifyExact(plainEntry(entry as never));
    expect(text).toContain(`"n":${big}`);
    expect(text).toContain(`"t":${tiny}`);
    expect(text).toContain(`"ns":[${big},1]`);
    const changed = auditEntries(
      modifyRecord({ key: { S: "BIG" }, n: { N: big } }, { key: { S: "BIG" }, n: { N: `${big.slice(0, -1)}9` } }),
    );
    expect(changed).toHaveLength(1);
  });

  it("binary from a Lambda event (base64 text) becomes bytes for the writer", () => {
    const [entry] = auditEntries(insertRecord({ key: { S: "BIN" }, b: { B: Buffer.from("hello").toString("base64") } }));
    const b = entry?.newValue?.M?.b?.B;
    expect(b).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(b as Uint8Array).toString()).toBe("hello");
    expect(plainItem(entry?.newValue?.M ?? {}).b).toBe(Buffer.from("hello").toString("base64"));
  });
});

describe("auditEntries: time and identity", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("takes modificationTime from the record's ApproximateCreationDateTime, not the clock", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2031-01-01T00:00:00Z"));
    const [entry] = auditEntries(insertRecord({ key: { S: "K" } }, { at: AT }));
    expect(entry?.modificationTime).toBe(AT_ISO);
    // The Streams API hands a Date; the result is the same.
    const record = insertRecord({ key: { S: "K" } });
    const streamsShape = { ...record, dynamodb: { ...record.dynamodb, ApproximateCreationDateTime: new Date(AT * 1000) } };
    expect(auditEntries(streamsShape)[0]?.modificationTime).toBe(AT_ISO);
  });

  it("a replayed record yields the same entries with the same ids (so the writer skips it)", () => {
    const record = modifyRecord({ key: { S: "K" }, a: { N: "1" }, b: { N: "1" } }, { key: { S: "K" }, a: { N: "2" }, b: { N: "3" } });
    const first = auditEntries(record);
    const replay = auditEntries(structuredClone(record));
    expect(replay).toEqual(first);
    const other = auditEntries({ ...record, eventID: "another-event" });
    expect(other.map((e) => e.id)).not.toEqual(first.map((e) => e.id));
  });

  it("ids are UUID v4 in form, stable, and differ per record and attribute", () => {
    expect(entryId("e1")).toMatch(UUID_V4);
    expect(entryId("e1", "value")).toMatch(UUID_V4);
    expect(entryId("e1")).toBe(entryId("e1"));
    expect(new Set([entryId("e1"), entryId("e1", "value"), entryId("e2"), entryId("e2", "value")]).size).toBe(4);
  });

  it("rejects records it cannot audit, naming them", () => {
    const record = insertRecord({ key: { S: "K" } });
    expect(() => auditEntries({ ...record, dynamodb: { ...record.dynamodb, NewImage: undefined } })).toThrow(
      /INSERT .* carries no NewImage/,
    );
    expect(() => auditEntries({ ...record, dynamodb: { ...record.dynamodb, ApproximateCreationDateTime: undefined } })).toThrow(
      /ApproximateCreationDateTime/,
    );
    expect(() => auditEntries({ ...record, eventName: "TRUNCATE" as never })).toThrow(/unknown eventName/);
  });

  it("round-trips through the Audit item shape", () => {
    const [entry] = auditEntries(modifyRecord({ key: { S: "K" }, a: { N: "1" } }, { key: { S: "K" } }));
    expect(fromAuditItem(toAuditItem(entry as never))).toEqual(entry);
  });
});
