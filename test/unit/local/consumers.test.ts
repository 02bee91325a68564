import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { mappingConsumer } from "../../../src/local/consumers";
import type { StreamMappingSettings } from "../../../src/local/delivery-settings";
import type { BucketFailureSink, FailureSink, S3FailureObject, StreamInvocationRecord } from "../../../src/local/failure-records";
import { insertRecord } from "../../support/stream-records";

const records = (n: number) => Array.from({ length: n }, (_, i) => insertRecord({ key: { S: `k${i}` } }));
const seq = (r: DynamoDBRecord | undefined) => r?.dynamodb?.SequenceNumber ?? "";
const keyOf = (r: DynamoDBRecord) => r.dynamodb?.Keys?.key?.S ?? "?";

const MAPPING: StreamMappingSettings = {
  logicalId: "Mapping",
  batchSize: 100,
  reportBatchItemFailures: true,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 5,
  maximumRecordAgeInSeconds: 43200,
};

const invocationRecord = (sent: { body: unknown }[], i = 0) => sent[i]?.body as StreamInvocationRecord;

function recordingSink() {
  const sent: { queueUrl: string; body: unknown; attributes: unknown }[] = [];
  const sink: FailureSink = async (queueUrl, body, attributes) => {
    sent.push({ queueUrl, body, attributes });
    return `m-${sent.length}`;
  };
  return { sent, sink };
}

function bucketSink() {
  const put: { bucket: string; key: string; body: S3FailureObject }[] = [];
  const sink: BucketFailureSink = async (bucket, key, body) => {
    put.push({ bucket, key, body });
  };
  return { put, sink };
}

function mapping(
  handle: Parameters<typeof mappingConsumer>[0]["handle"],
  settings: Partial<StreamMappingSettings> = {},
  onFailure: Parameters<typeof mappingConsumer>[0]["onFailure"] | null = { type: "sqs", queueUrl: "https://sqs/failures" },
) {
  const { sent, sink } = recordingSink();
  const bucket = bucketSink();
  const consumer = mappingConsumer({
    name: "audit_producer",
    streamArn: "arn:stream",
    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:audit_producer:learn",
    settings: { ...MAPPING, ...settings },
    handle,
    ...(onFailure ? { onFailure } : {}),
    sendFailure: sink,
    putFailure: bucket.sink,
    now: () => new Date("2026-11-23T16:30:23.456Z"),
  });
  return { consumer, sent, put: bucket.put };
}

describe("mappingConsumer (Lambda event source mapping semantics)", () => {
  it("sends batches of the mapping's size and finishes them all", async () => {
    const sizes: number[] = [];
    const { consumer, sent } = mapping(async (event) => {
      sizes.push(event.Records.length);
      return { batchItemFailures: [] };
    });
    expect(await consumer.handle(records(250), "shard-1")).toEqual({ done: 250, discarded: [] });
    expect(sizes).toEqual([100, 100, 50]);
    expect(sent).toEqual([]);
  });

  it("retries from the first reported failure MaximumRetryAttempts times, then sends that suffix's position and moves on", async () => {
    const input = records(5);
    const poison = input[2];
    const batches: string[][] = [];
    const { consumer, sent } = mapping(async (event) => {
      batches.push(event.Records.map(keyOf));
      return { batchItemFailures: event.Records.filter((r) => r === poison).map((r) => ({ itemIdentifier: seq(r) })) };
    });
    const outcome = await consumer.handle(input, "shard-1");
    expect(outcome.done).toBe(5);
    // The first invocation saw all five; every retry only the failed record and those after it.
    expect(batches).toEqual([["k0", "k1", "k2", "k3", "k4"], ...Array(5).fill(["k2", "k3", "k4"])]);
    expect(sent).toHaveLength(1);
    const message = sent[0]?.body as StreamInvocationRecord;
    expect(sent[0]?.queueUrl).toBe("https://sqs/failures");
    expect(message.requestContext).toMatchObject({ condition: "RetryAttemptsExhausted", approximateInvokeCount: 6 });
    expect(message.requestContext.functionArn).toMatch(/:function:audit_producer:learn$/);
    expect(message.responseContext).toEqual({ statusCode: 200, executedVersion: "$LATEST" });
    expect(message.DDBStreamBatchInfo).toMatchObject({
      shardId: "shard-1",
      startSequenceNumber: seq(poison),
      endSequenceNumber: seq(input[4]),
      batchSize: 3,
      streamArn: "arn:stream",
    });
    expect(outcome.discarded).toEqual([
      expect.objectContaining({
        records: 3,
        attempts: 6,
        firstEventId: poison?.eventID,
        queueUrl: "https://sqs/failures",
        messageId: "m-1",
      }),
    ]);
  });

  it("bisects a thrown batch down to the poison record, which alone is retried and sent; the others succeed", async () => {
    const input = records(8);
    const poison = input[5];
    const handled: string[] = [];
    const { consumer, sent } = mapping(async (event) => {
      // A handler that throws whenever its batch holds the poison record (no partial response).
      if (event.Records.includes(poison as DynamoDBRecord)) throw new Error("Item size has exceeded the maximum allowed size");
      handled.push(...event.Records.map(keyOf));
      return { batchItemFailures: [] };
    });
    expect((await consumer.handle(input, "s")).done).toBe(8);
    expect(handled.sort()).toEqual(["k0", "k1", "k2", "k3", "k4", "k6", "k7"]);
    const message = sent[0]?.body as StreamInvocationRecord;
    expect(sent).toHaveLength(1);
    expect(message.DDBStreamBatchInfo).toMatchObject({ startSequenceNumber: seq(poison), endSequenceNumber: seq(poison), batchSize: 1 });
    expect(message.responseContext.functionError).toBe("Unhandled");
    expect(message.requestContext.approximateInvokeCount).toBe(6);
  });

  it("without bisect, a thrown batch is retried whole and then sent whole", async () => {
    const input = records(4);
    let calls = 0;
    const { consumer, sent } = mapping(
      async () => {
        calls++;
        throw new Error("boom");
      },
      { bisectBatchOnFunctionError: false, maximumRetryAttempts: 2 },
    );
    expect((await consumer.handle(input, "s")).done).toBe(4);
    expect(calls).toBe(3);
    expect(invocationRecord(sent).DDBStreamBatchInfo.batchSize).toBe(4);
  });

  it("an unknown item identifier fails the whole batch, as Lambda treats it", async () => {
    const input = records(3);
    const { consumer, sent } = mapping(async () => ({ batchItemFailures: [{ itemIdentifier: "" }] }), { maximumRetryAttempts: 0 });
    await consumer.handle(input, "s");
    expect(invocationRecord(sent).DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: seq(input[0]),
      batchSize: 3,
    });
  });

  it("ignores batch item failures when the mapping does not report them", async () => {
    const { consumer, sent } = mapping(async (event) => ({ batchItemFailures: [{ itemIdentifier: seq(event.Records[0]) }] }), {
      reportBatchItemFailures: false,
    });
    expect(await consumer.handle(records(3), "s")).toEqual({ done: 3, discarded: [] });
    expect(sent).toEqual([]);
  });

  it("with unbounded retries (-1) stops the shard at the failed record for the next run", async () => {
    const input = records(150);
    const { consumer, sent } = mapping(
      async (event) => ({
        batchItemFailures: event.Records.filter((r) => r === input[130] || r === input[120]).map((r) => ({ itemIdentifier: seq(r) })),
      }),
      { maximumRetryAttempts: -1 },
    );
    expect(await consumer.handle(input, "s")).toEqual({ done: 120, discarded: [] });
    expect(sent).toEqual([]);
  });
});

describe("mappingConsumer with an S3 on-failure destination (services-dynamodb-errors.html)", () => {
  it("keeps the discarded batch whole beside Lambda's invocation record, under AWS's documented key layout", async () => {
    const input = records(4);
    const poison = input[1];
    const { consumer, sent, put } = mapping(
      async (event) => ({ batchItemFailures: event.Records.filter((r) => r === poison).map((r) => ({ itemIdentifier: seq(r) })) }),
      {},
      { type: "s3", bucket: "data", mappingUuid: "a1b2c3d4-0000-4000-a000-000000000001" },
    );
    const outcome = await consumer.handle(input, "shardId-00000001573689847184-864758bb");
    expect(outcome.done).toBe(4);
    expect(sent).toEqual([]);
    expect(put).toHaveLength(1);
    const [object] = put;
    // aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID> (kinesis-on-failure-destination.html)
    expect(object?.key).toMatch(
      /^aws\/lambda\/a1b2c3d4-0000-4000-a000-000000000001\/shardId-00000001573689847184-864758bb\/2026\/11\/23\/2026-11-23T16\.30\.23-[0-9a-f-]{36}$/,
    );
    expect(object?.body.payload.Records).toEqual(input.slice(1));
    expect(object?.body.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: seq(poison),
      endSequenceNumber: seq(input[3]),
      batchSize: 3,
    });
    expect(outcome.discarded).toEqual([expect.objectContaining({ records: 3, object: `s3://data/${object?.key}` })]);
  });

  it("without a destination the batch is dropped and says so", async () => {
    const { consumer, sent, put } = mapping(
      async () => ({ batchItemFailures: [{ itemIdentifier: "" }] }),
      { maximumRetryAttempts: 0 },
      null,
    );
    const outcome = await consumer.handle(records(1), "s");
    expect(sent).toEqual([]);
    expect(put).toEqual([]);
    expect(outcome.discarded[0]).not.toHaveProperty("queueUrl");
    expect(outcome.discarded[0]).not.toHaveProperty("object");
  });
});
