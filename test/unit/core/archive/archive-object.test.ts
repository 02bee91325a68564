import { describe, expect, it } from "vitest";
import { deletionKindOf, tableFromStreamArn, toArchiveObject } from "../../../../src/core/archive/archive-object";
import { fromJsonItem } from "../../../../src/core/archive/dynamo-json";
import { removeRecord, TTL_IDENTITY } from "./records";

const NOW = new Date("2026-11-23T18:00:00.000Z");

describe("REMOVE record → archive object", () => {
  it("builds the key and body of a user deletion", () => {
    const record = removeRecord();
    const { objectKey, body } = toArchiveObject(record, undefined, NOW);
    expect(objectKey).toBe("archive/dev-TRAZABILIDAD/id=A-1/20261123T163023.000Z_c81e728d9d4c2f636f067f89cc14862c.json");
    expect(body).toEqual({
      schemaVersion: 1,
      table: "dev-TRAZABILIDAD",
      keys: { id: { S: "A-1" } },
      deletedAt: "2026-11-23T16:30:23.000Z",
      deletionKind: "user",
      archivedAt: "2026-11-23T18:00:00.000Z",
      record,
    });
  });

  it("marks a TTL expiry by the stream record's userIdentity", () => {
    expect(toArchiveObject(removeRecord({ userIdentity: TTL_IDENTITY }), undefined, NOW).body.deletionKind).toBe("ttl");
    expect(deletionKindOf(removeRecord({ userIdentity: { type: "Service", principalId: "someone.else" } }))).toBe("user");
    expect(deletionKindOf(removeRecord({ userIdentity: { type: "User", principalId: "dynamodb.amazonaws.com" } }))).toBe("user");
    expect(deletionKindOf(removeRecord())).toBe("user");
  });

  it("the same event twice gives the same object key and the same content but for archivedAt", () => {
    const a = toArchiveObject(removeRecord(), undefined, NOW);
    const b = toArchiveObject(structuredClone(removeRecord()), undefined, new Date(NOW.getTime() + 60_000));
    expect(b.objectKey).toBe(a.objectKey);
    expect({ ...b.body, archivedAt: "" }).toEqual({ ...a.body, archivedAt: "" });
  });

  it("two deletions of the same key get two objects", () => {
    const first = toArchiveObject(removeRecord(), undefined, NOW);
    const second = toArchiveObject(removeRecord({ eventID: "other" }), undefined, NOW);
    expect(second.objectKey).not.toBe(first.objectKey);
  });

  it("puts the partition key first, whatever the order of Keys", () => {
    const record = removeRecord({}, { sk: { N: "7" }, pk: { S: "A#1/x" } });
    const schema = { partitionKey: { name: "pk", type: "S" }, sortKey: { name: "sk", type: "N" } };
    const { objectKey, body } = toArchiveObject(record, schema, NOW);
    expect(objectKey).toMatch(/^archive\/dev-TRAZABILIDAD\/pk=A%231%2Fx\/sk=7\//);
    expect(Object.keys(body.keys)).toEqual(["pk", "sk"]);
    expect(() => toArchiveObject(record, undefined, NOW)).toThrow(/key schema is unknown/);
  });

  it("refuses what it cannot archive faithfully", () => {
    const noImage = removeRecord();
    delete noImage.dynamodb?.OldImage;
    expect(() => toArchiveObject(noImage, undefined)).toThrow(/no OldImage/);
    expect(() => toArchiveObject(removeRecord({ eventName: "INSERT" }), undefined)).toThrow(/not REMOVE/);
    expect(() => toArchiveObject(removeRecord({ eventSourceARN: "arn:aws:sqs:eu-west-1:1:q" }), undefined)).toThrow(/eventSourceARN/);
  });

  it("reads the table from stream ARNs and table ARNs", () => {
    expect(tableFromStreamArn("arn:aws:dynamodb:us-east-1:111122223333:table/EventSourceTable")).toBe("EventSourceTable");
    expect(tableFromStreamArn("arn:aws:dynamodb:us-east-1:123456789012:table/a.b-c_d/stream/2026-01-01T00:00:00.000")).toBe("a.b-c_d");
  });

  it("turns archived DynamoDB JSON back into typed AttributeValues, binary as bytes, numbers as text", () => {
    const item = fromJsonItem({
      n: { N: "12345678901234567890123456789012345678" },
      b: { B: "AAEC/w==" },
      bs: { BS: ["AA==", "/w=="] },
      m: { M: { l: { L: [{ NULL: true }, { BOOL: false }, { NS: ["1", "2.5"] }, { SS: ["x"] }] } } },
    });
    expect(item.n).toEqual({ N: "12345678901234567890123456789012345678" });
    expect(item.b).toEqual({ B: new Uint8Array([0, 1, 2, 255]) });
    expect(item.bs).toEqual({ BS: [new Uint8Array([0]), new Uint8Array([255])] });
    expect(item.m).toEqual({ M: { l: { L: [{ NULL: true }, { BOOL: false }, { NS: ["1", "2.5"] }, { SS: ["x"] }] } } });
  });
});
