import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { batchConsumer, pipeConsumer } from "../../../../src/core/local/consumers";
import { insertRecord, modifyRecord, removeRecord } from "../../../support/stream-records";

const records = (n: number) => Array.from({ length: n }, (_, i) => insertRecord({ key: { S: `k${i}` } }));
const seq = (r: DynamoDBRecord | undefined) => r?.dynamodb?.SequenceNumber ?? "";

describe("batchConsumer (event source mapping semantics)", () => {
  it("sends batches of the mapping's size and reports all handled", async () => {
    const sizes: number[] = [];
    const consumer = batchConsumer("audit", "arn", async (event) => {
      sizes.push(event.Records.length);
      return { batchItemFailures: [] };
    });
    expect(await consumer.handle(records(250))).toBe(250);
    expect(sizes).toEqual([100, 100, 50]);
  });

  it("stops at the first reported failure, whatever order the failures come in", async () => {
    const input = records(150);
    const consumer = batchConsumer("audit", "arn", async (event) => ({
      batchItemFailures: event.Records.filter((r) => r === input[130] || r === input[120]).map((r) => ({ itemIdentifier: seq(r) })),
    }));
    expect(await consumer.handle(input)).toBe(120);
  });

  it("treats a thrown invocation as the whole batch failing", async () => {
    let calls = 0;
    const consumer = batchConsumer("audit", "arn", async () => {
      calls++;
      if (calls === 2) throw new Error("boom");
      return { batchItemFailures: [] };
    });
    expect(await consumer.handle(records(250))).toBe(100);
  });
});

describe("pipeConsumer (pipe → bus → REMOVE rule semantics)", () => {
  it("hands only REMOVE records, wrapped in the bus envelope, and stops at a failure", async () => {
    const input = [
      insertRecord({ key: { S: "a" } }),
      removeRecord({ key: { S: "a" } }),
      modifyRecord({ key: { S: "b" } }, { key: { S: "b" }, v: { N: "1" } }),
      removeRecord({ key: { S: "b" } }),
      removeRecord({ key: { S: "c" } }),
    ];
    const seen: unknown[] = [];
    const consumer = pipeConsumer("archiver", "arn", async (event) => {
      const e = event as { source: string; "detail-type": string; detail: DynamoDBRecord };
      if (e.detail.dynamodb?.Keys?.key?.S === "c") throw new Error("S3 down");
      seen.push([e.source, e["detail-type"], e.detail.eventName, e.detail.dynamodb?.Keys?.key?.S]);
    });
    expect(await consumer.handle(input)).toBe(4);
    expect(seen).toEqual([
      ["trace.archive", "DynamoDB Stream Record", "REMOVE", "a"],
      ["trace.archive", "DynamoDB Stream Record", "REMOVE", "b"],
    ]);
  });
});
