// PutEvents' entry size as EventBridge computes it (eb-putevent-size.html: Time 14 bytes when
// given; Source, DetailType, Detail and each Resources entry by their UTF-8 bytes) and the entry
// the archive pipe makes of a record.
import { describe, expect, it } from "vitest";
import { pipeEntry, putEventsEntrySize, putEventsRequestSize } from "../../../../src/core/archive/event-size";

describe("putEventsEntrySize", () => {
  it("counts Time as 14 bytes and every string by its UTF-8 bytes, as the page's Java example does", () => {
    expect(putEventsEntrySize({ Source: "a", DetailType: "b" })).toBe(2);
    expect(putEventsEntrySize({ Time: new Date(), Source: "a", DetailType: "b" })).toBe(16);
    expect(putEventsEntrySize({ Source: "ñ", DetailType: "€", Detail: '{"x":"😀"}', Resources: ["arn:é", "r"] })).toBe(
      2 + 3 + (8 + 4) + (4 + 2) + 1,
    );
  });

  it("sums the entries of a request", () => {
    const entry = { Source: "s", DetailType: "d", Detail: "{}" };
    expect(putEventsRequestSize([entry, entry, entry])).toBe(12);
  });

  it("the archive pipe's entry: its target parameters, the record as Detail, and a Time", () => {
    const record = { eventID: "1", eventName: "REMOVE" };
    expect(putEventsEntrySize(pipeEntry(record))).toBe(
      14 + "trace.archive".length + "DynamoDB Stream Record".length + JSON.stringify(record).length,
    );
  });
});
