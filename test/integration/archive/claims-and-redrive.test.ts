// The claim check (src/core/archive/claim-check.ts) and the redrive (redrive.ts, the
// archive_redrive handler) against the emulator's S3, SQS and DynamoDB stream. The only mocks are
// faults injected into AWS clients (a trimmed stream, an S3 refusing writes).
import { DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHandler as createRedrive } from "../../../lambda/archive-redrive";
import { createMetrics } from "../../../lambda/shared/metrics";
import { checkIn, claimedRecord, claimKey } from "../../../src/core/archive/claim-check";
import { INLINE_ENTRY_LIMIT_BYTES, pipeEntry, putEventsEntrySize } from "../../../src/core/archive/event-size";
import { keySchemaCache } from "../../../src/core/archive/key-schema";
import { toPipeBusEvent } from "../../../src/core/archive/pipe-event";
import { classifyDeadLetter, type RedriveDeps, recoverDeadLetter } from "../../../src/core/archive/redrive";
import { redriveQueues } from "../../../src/core/archive/redrive-queues";
import { silentReporter } from "../../../src/core/reporter";
import { pipeDeadLetterRecord } from "../../../src/local/failure-records";
import { readStream } from "../../../src/local/streams";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { stringKey } from "../../support/fixtures";
import { removeRecord } from "../../support/stream-records";
import { createKmsKey, createStreamTable, createVersionedBucket } from "./support";

const clients = emulatorClients();
let bucket: string;
let kmsKeyArn: string;
let table: string;
let streamArn: string;

beforeAll(async () => {
  await clients.loadMore();
  bucket = await createVersionedBucket(clients);
  kmsKeyArn = await createKmsKey(clients);
  table = uniqueName("claims");
  streamArn = await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("id") });
});
afterAll(() => clients.destroy());

const archiverDeps = (s3 = clients.s3) => ({
  s3,
  keySchema: keySchemaCache(clients.dynamodb),
  bucket,
  kmsKeyArn,
  reporter: silentReporter,
});
const deps = (streams: Pick<DynamoDBStreamsClient, "send"> = clients.streams, s3 = clients.s3): RedriveDeps => ({
  streams,
  archiver: archiverDeps(s3),
});

/** A deletion of `id` from the table, as a REMOVE record in the stream, and its pointer. */
async function deleted(id: string, bytes = 10) {
  await clients.dynamodb.send(
    new PutItemCommand({ TableName: table, Item: { id: { S: id }, fecha: { S: "2026-11-23" }, body: { S: "x".repeat(bytes) } } }),
  );
  await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id } } }));
  const { shards } = await readStream(clients.streams, streamArn);
  for (const shard of shards) {
    const record = shard.records.find((r) => r.eventName === "REMOVE" && r.dynamodb?.Keys?.id?.S === id);
    if (record)
      return { record, pointer: pipeDeadLetterRecord({ batch: [record], shardId: shard.shardId, streamArn, pipeArn: "arn:pipe" }) };
  }
  throw new Error(`no REMOVE of ${id} in the stream`);
}

/** A streams client whose calls answer TrimmedDataAccessException, as past the stream's 24 h. */
function trimmedStreams(): Pick<DynamoDBStreamsClient, "send"> {
  return {
    send: async () => {
      throw Object.assign(new Error("The operation attempted to read past the oldest stream record in a shard."), {
        name: "TrimmedDataAccessException",
      });
    },
  } as never;
}

/** An S3 client whose writes under archive/ answer 503, as S3 may. */
function s3RefusingArchiveWrites() {
  const s3 = emulatorClients().s3;
  s3.middlewareStack.add(
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's generic middleware signature
    (next: any, context: any) => async (args: any) => {
      if (context.commandName === "PutObjectCommand" && String(args.input.Key).startsWith("archive/"))
        throw Object.assign(new Error("Service Unavailable (injected)"), {
          name: "ServiceUnavailable",
          $metadata: { httpStatusCode: 503 },
        });
      return next(args);
    },
    { step: "initialize", name: "refuseArchiveWrites" },
  );
  return s3;
}

describe("the claim check", () => {
  it("passes a small record on as it is and writes nothing", async () => {
    const small = toPipeBusEvent(removeRecord({ id: { S: "small" } }, { key: "small" })).detail;
    expect(await checkIn({ s3: clients.s3, bucket, kmsKeyArn }, small)).toBe(small);
  });

  it("stores a large record and passes on a small claim; the archiver side reads it back exactly", async () => {
    const { record } = await deleted("large", 200_000);
    const json = toPipeBusEvent(record).detail;
    expect(putEventsEntrySize(pipeEntry(json))).toBeGreaterThan(INLINE_ENTRY_LIMIT_BYTES);
    const checked = await checkIn({ s3: clients.s3, bucket, kmsKeyArn }, json);
    expect(checked.claim).toMatchObject({ bucket, key: claimKey(json) });
    expect(checked.dynamodb?.OldImage).toBeUndefined();
    expect(checked.dynamodb?.Keys).toEqual(json.dynamodb?.Keys);
    expect(putEventsEntrySize(pipeEntry(checked))).toBeLessThan(2_000);
    expect(await claimedRecord(clients.s3, checked)).toEqual(json);
  });

  it("refuses a claim whose object changed, and names the lifecycle when it is gone", async () => {
    const { record } = await deleted("tampered", 100_000);
    const checked = await checkIn({ s3: clients.s3, bucket, kmsKeyArn }, toPipeBusEvent(record).detail);
    const claim = checked.claim as NonNullable<typeof checked.claim>;
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: claim.key, Body: JSON.stringify({ ...record, eventID: "other" }) }));
    await expect(claimedRecord(clients.s3, checked)).rejects.toThrow(/is not the record that was written/);
    await expect(claimedRecord(clients.s3, { ...checked, claim: { ...claim, key: `${claim.key}.gone` } })).rejects.toMatchObject({
      code: "NOT_FOUND",
      hint: expect.stringMatching(/expire 30 days/),
    });
  });
});

describe("the redrive of a pipe's pointer", () => {
  it("tells pointers, whole events and anything else apart", () => {
    expect(classifyDeadLetter("not json")).toMatchObject({ kind: "unknown" });
    expect(classifyDeadLetter('{"DDBStreamBatchInfo":{"shardId":"s"}}')).toMatchObject({ kind: "unknown" });
    const event = toPipeBusEvent(removeRecord({ id: { S: "a" } }));
    expect(classifyDeadLetter(JSON.stringify(event))).toMatchObject({ kind: "event" });
  });

  it("reads the records back from the stream by sequence number and archives them; again, changes nothing", async () => {
    const { record, pointer } = await deleted("pointed");
    const first = await recoverDeadLetter(deps(), JSON.stringify(pointer));
    expect(first).toMatchObject({ kind: "pointer", settled: true });
    expect(first.records).toEqual([expect.objectContaining({ status: "archived", eventId: record.eventID, keys: { id: "pointed" } })]);
    expect(first.records[0]?.timeLeftMs).toBeGreaterThan(23 * 3600 * 1000);
    const second = await recoverDeadLetter(deps(), JSON.stringify(pointer));
    expect(second.records).toEqual([expect.objectContaining({ status: "already-archived" })]);
  });

  it("past the stream's 24 h the records are lost: reported, with the time since, and the message stays", async () => {
    const { pointer } = await deleted("trimmed");
    const old = {
      ...pointer,
      DDBStreamBatchInfo: { ...pointer.DDBStreamBatchInfo, approximateArrivalOfFirstRecord: "2026-01-01T00:00:00Z" },
    };
    const queue = (await clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName("pipes") }))).QueueUrl as string;
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: JSON.stringify(old) }));
    const report = await redriveQueues({ ...deps(trimmedStreams()), sqs: clients.sqs }, [{ name: "pipes", url: queue }]);
    expect(report).toMatchObject({ lost: 1, archived: 0 });
    expect(report.messages[0]?.lost?.reason).toMatch(/TrimmedDataAccessException/);
    expect(report.messages[0]?.lost?.timeLeftMs).toBeLessThan(0);
    const left = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }));
    expect(left.Messages).toHaveLength(1);
  });
});

describe("archive_redrive (the pipes' queue's consumer)", () => {
  const sqsEvent = (...bodies: string[]): SQSEvent =>
    ({ Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body }) as SQSEvent["Records"][number]) }) as SQSEvent;

  it("archives what it can, parks what the stream lost, and returns what failed for a retry", async () => {
    const parking = (await clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName("parking") }))).QueueUrl as string;
    const ok = await deleted("auto-ok");
    const metrics = createMetrics("archive_redrive", { POWERTOOLS_METRICS_NAMESPACE: "trace/emf-test" });
    const handler = createRedrive({ ...deps(), sqs: clients.sqs, parkingQueueUrl: parking, metrics });
    // Its metric (EMF on stdout, lambda/shared/metrics.ts): one pointer recovered.
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      printed.push(...String(chunk).split("\n"));
      return true;
    });
    try {
      expect(await handler(sqsEvent(JSON.stringify(ok.pointer)))).toEqual({ batchItemFailures: [] });
    } finally {
      spy.mockRestore();
    }
    const emf = printed.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Redrives: 1, service: "archive_redrive" });
    expect(emf[0]._aws.CloudWatchMetrics).toEqual([
      { Namespace: "trace/emf-test", Dimensions: [["service"]], Metrics: [{ Name: "Redrives", Unit: "Count" }] },
    ]);

    const lost = await deleted("auto-lost");
    const trimmed = createRedrive({ ...deps(trimmedStreams()), sqs: clients.sqs, parkingQueueUrl: parking });
    expect(await trimmed(sqsEvent(JSON.stringify(lost.pointer)))).toEqual({ batchItemFailures: [] });
    const parked = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: parking, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }),
    );
    expect(parked.Messages?.map((m) => JSON.parse(m.Body ?? "{}").DDBStreamBatchInfo.startSequenceNumber)).toEqual([
      lost.record.dynamodb?.SequenceNumber,
    ]);
    expect(parked.Messages?.[0]?.MessageAttributes?.TraceRedriveReason?.StringValue).toMatch(/TrimmedDataAccessException/);

    const failing = await deleted("auto-fails");
    const refused = createRedrive({ ...deps(clients.streams, s3RefusingArchiveWrites()), sqs: clients.sqs, parkingQueueUrl: parking });
    expect(await refused(sqsEvent(JSON.stringify(failing.pointer)))).toEqual({ batchItemFailures: [{ itemIdentifier: "m-0" }] });
  });
});
