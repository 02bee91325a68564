import { describe, expect, it } from "vitest";
import { auditEntries } from "../../../../src/core/audit/entries";
import { describeEntry } from "../../../../src/core/audit/present";
import { insertRecord, modifyRecord, removeRecord } from "../../../support/stream-records";

describe("describeEntry", () => {
  it("a scalar change reads old → new", () => {
    const [entry] = auditEntries(modifyRecord({ key: { S: "K" }, value: { N: "3600" } }, { key: { S: "K" }, value: { N: "1800" } }));
    expect(describeEntry(entry as never)).toMatchObject({ kind: "changed", attribute: "value", summary: "3600 → 1800", details: [] });
  });

  it("a changed map reads as a diff of its inner keys", () => {
    const before = { key: { S: "K" }, limits: { M: { daily: { N: "10" }, eu: { BOOL: true } } } };
    const after = { key: { S: "K" }, limits: { M: { daily: { N: "20" }, us: { BOOL: true } } } };
    const [entry] = auditEntries(modifyRecord(before, after));
    expect(describeEntry(entry as never)).toEqual({
      time: entry?.modificationTime,
      kind: "changed",
      attribute: "limits",
      summary: "",
      details: ["~ daily: 10 → 20", "- eu: true", "+ us: true"],
    });
  });

  it("whole-item entries list the item's attributes as added or removed", () => {
    const item = { key: { S: "K" }, value: { N: "1" } };
    expect(describeEntry(auditEntries(insertRecord(item))[0] as never)).toMatchObject({
      kind: "created",
      attribute: "(item)",
      details: ['+ key: "K"', "+ value: 1"],
    });
    expect(describeEntry(auditEntries(removeRecord(item))[0] as never)).toMatchObject({
      kind: "deleted",
      details: ['- key: "K"', "- value: 1"],
    });
  });

  it("a map replaced by a scalar reads old → new", () => {
    const [entry] = auditEntries(modifyRecord({ key: { S: "K" }, v: { M: { a: { N: "1" } } } }, { key: { S: "K" }, v: { S: "off" } }));
    expect(describeEntry(entry as never)).toMatchObject({ summary: '{a: 1} → "off"', details: [] });
  });
});
