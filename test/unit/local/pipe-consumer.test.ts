// The archive pipe as local mode runs it (src/local/pipe-consumer.ts): filter, batches, the
// enrichment, PutEvents' documented limits, retries, the pipe's and the function's dead letters.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { readDeliverySettings } from "../../../src/local/delivery-settings";
import type { FailureSink } from "../../../src/local/failure-records";
import { type EnrichmentHandler, pipeConsumer } from "../../../src/local/pipe-consumer";
import { awsFixture } from "../../support/aws-events";
import { projectRoot } from "../../support/paths";
import { insertRecord, modifyRecord, removeRecord } from "../../support/stream-records";

const BEFORE = join(projectRoot, "test", "fixtures", "cloudformation", "before-issue-22");
const CURRENT = join(projectRoot, "cloudformation");

/** The delivery settings of the templates in a directory (the archive and audit templates). */
function settingsOf(archiveDir: string) {
  const dir = mkdtempSync(join(tmpdir(), "trace-pipe-settings-"));
  writeFileSync(join(dir, "archive.yaml"), readFileSync(join(archiveDir, "archive.yaml")));
  writeFileSync(join(dir, "audit.yaml"), readFileSync(join(CURRENT, "audit.yaml")));
  return readDeliverySettings(dir);
}

function recordingSink() {
  const sent: { queueUrl: string; body: unknown; attributes: unknown }[] = [];
  const sink: FailureSink = async (queueUrl, body, attributes) => {
    sent.push({ queueUrl, body, attributes });
    return `m-${sent.length}`;
  };
  return { sent, sink };
}

const keyOf = (r: DynamoDBRecord) => r.dynamodb?.Keys?.key?.S ?? "?";
/** A deletion whose old image carries `bytes` bytes of text. */
const deletion = (key: string, bytes: number) => removeRecord({ key: { S: key }, body: { S: "x".repeat(bytes) } });

function consumer(archiveDir: string, options: { enrich?: EnrichmentHandler; fail?: (key: string) => boolean } = {}) {
  const settings = settingsOf(archiveDir);
  const pipe = settings.pipes.find((p) => p.sourceParameter === "ConfigurationStreamArn");
  if (!pipe) throw new Error("no Configuration pipe");
  const archived: string[] = [];
  const { sent, sink } = recordingSink();
  const built = pipeConsumer({
    name: "archiver:Configuration",
    streamArn: "arn:aws:dynamodb:us-east-1:123456789012:table/Configuration/stream/2026-11-23T00:00:00.000",
    pipe,
    pipeArn: "arn:aws:pipes:us-east-1:123456789012:pipe/trace-dev-archive-configuration",
    target: settings.archive,
    ...(options.enrich ? { enrich: options.enrich } : {}),
    handle: async (event) => {
      const e = event as { source: string; "detail-type": string; detail: DynamoDBRecord };
      if (options.fail?.(keyOf(e.detail))) throw new Error("S3 down");
      archived.push(`${e.source}|${e["detail-type"]}|${e.detail.eventName}|${keyOf(e.detail)}`);
    },
    pipeDeadLetterQueueUrl: "https://sqs/pipe-dlq",
    deadLetterQueueUrl: "https://sqs/dlq",
    sendFailure: sink,
  });
  return { consumer: built, pipe, archived, sent };
}

/** An enrichment that, like archive_claims, passes small records on and shrinks large ones. */
const shrinking: EnrichmentHandler = async (batch) =>
  (batch as DynamoDBRecord[]).map((r) =>
    JSON.stringify(r).length > 65_536 ? { ...r, dynamodb: { Keys: r.dynamodb?.Keys }, claim: {} } : r,
  );

describe("the archive pipe on today's template (before issue 22): what AWS would lose", () => {
  it("a 400 KB deletion: PutEvents refuses the entry, the pipe retries, then only its position reaches the DLQ", async () => {
    const { consumer: c, pipe, archived, sent } = consumer(BEFORE);
    expect(pipe.enrichment).toBeUndefined();
    const big = deletion("BIG", 400_000);
    const outcome = await c.handle([big], "shard-1");
    expect(outcome.done).toBe(1);
    expect(archived).toEqual([]);
    expect(outcome.discarded).toEqual([
      expect.objectContaining({ records: 1, attempts: pipe.maximumRetryAttempts + 1, queueUrl: "https://sqs/pipe-dlq" }),
    ]);
    expect(outcome.discarded[0]?.reason).toMatch(/PutEvents rejected: the total entry size is \d+ bytes, not less than 256KB/);
    // The dead letter is a pointer: the documented DDBStreamBatchInfo, no record in it.
    const pointer = sent[0]?.body as Record<string, unknown>;
    const documented = awsFixture<{ event: Record<string, unknown> }>("pipes-dynamodb-dead-letter").event;
    expect(Object.keys(pointer).sort()).toEqual(Object.keys(documented).sort());
    expect(pointer.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: big.dynamodb?.SequenceNumber,
      batchSize: 1,
      shardId: "shard-1",
    });
    expect(JSON.stringify(pointer)).not.toContain("xxxx");
  });

  it("a TTL burst of ten 30 KB deletions: one batch of 10 is a 300 KB request, refused as a whole", async () => {
    const { consumer: c, pipe, archived, sent } = consumer(BEFORE);
    expect(pipe.batchSize).toBe(10);
    const burst = Array.from({ length: 10 }, (_, i) => deletion(`T${i}`, 30_000));
    const outcome = await c.handle(burst, "shard-1");
    expect(archived).toEqual([]);
    expect(outcome.discarded).toEqual([expect.objectContaining({ records: 10 })]);
    expect(sent).toHaveLength(1);
  });
});

describe("the archive pipe on the current template", () => {
  it("sends one record per execution through the enrichment, so no entry or request passes the limit", async () => {
    const batches: number[] = [];
    const enrich: EnrichmentHandler = async (batch) => {
      batches.push(batch.length);
      return shrinking(batch);
    };
    const { consumer: c, pipe, archived, sent } = consumer(CURRENT, { enrich });
    expect(pipe).toMatchObject({
      batchSize: 1,
      enrichment: "archiveClaims",
      source: "trace.archive",
      detailType: "DynamoDB Stream Record",
    });
    const input = [deletion("BIG", 400_000), ...Array.from({ length: 10 }, (_, i) => deletion(`T${i}`, 30_000))];
    const outcome = await c.handle(input, "shard-1");
    expect(outcome).toEqual({ done: 11, discarded: [] });
    expect(sent).toEqual([]);
    expect(batches).toEqual(Array(11).fill(1));
    expect(archived).toEqual(input.map((r) => `trace.archive|DynamoDB Stream Record|REMOVE|${keyOf(r)}`));
  });

  it("without its enrichment handler the pipe cannot run (it would put 400 KB on the bus)", () => {
    expect(() => consumer(CURRENT)).toThrow(/has an enrichment \(archiveClaims\) and no handler/);
  });

  it("an enrichment that keeps failing: retried, then the batch's position goes to the pipe's DLQ and the shard moves on", async () => {
    let calls = 0;
    const {
      consumer: c,
      pipe,
      archived,
      sent,
    } = consumer(CURRENT, {
      enrich: async (batch) => {
        calls++;
        if (keyOf((batch as DynamoDBRecord[])[0] as DynamoDBRecord) === "POISON") throw new Error("S3 refused the claim check");
        return batch;
      },
    });
    const input = [deletion("A", 10), deletion("POISON", 10), deletion("B", 10)];
    const outcome = await c.handle(input, "shard-1");
    expect(outcome.done).toBe(3);
    expect(calls).toBe(1 + (pipe.maximumRetryAttempts + 1) + 1);
    expect(archived.map((a) => a.split("|")[3])).toEqual(["A", "B"]);
    expect(sent).toEqual([expect.objectContaining({ queueUrl: "https://sqs/pipe-dlq" })]);
    expect(outcome.discarded[0]?.reason).toMatch(/S3 refused the claim check/);
  });

  it("hands only REMOVE records, wrapped in the bus envelope; a failing event is retried, then dead-lettered as is", async () => {
    const input = [
      insertRecord({ key: { S: "a" } }),
      removeRecord({ key: { S: "a" } }),
      modifyRecord({ key: { S: "b" } }, { key: { S: "b" }, v: { N: "1" } }),
      removeRecord({ key: { S: "c" } }),
      removeRecord({ key: { S: "b" } }),
    ];
    let failures = 0;
    const {
      consumer: c,
      archived,
      sent,
    } = consumer(CURRENT, {
      enrich: async (batch) => batch,
      fail: (key) => key === "c" && ++failures > 0,
    });
    const outcome = await c.handle(input, "s");
    expect(outcome.done).toBe(5);
    expect(archived).toEqual(["trace.archive|DynamoDB Stream Record|REMOVE|a", "trace.archive|DynamoDB Stream Record|REMOVE|b"]);
    // Lambda's asynchronous retries: the first attempt and two more (no EventInvokeConfig).
    expect(failures).toBe(3);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.queueUrl).toBe("https://sqs/dlq");
    expect(sent[0]?.body).toMatchObject({ source: "trace.archive", detail: { eventName: "REMOVE", eventID: input[3]?.eventID } });
    expect(sent[0]?.attributes).toMatchObject({
      RequestID: { DataType: "String" },
      ErrorCode: { DataType: "Number", StringValue: "200" },
      ErrorMessage: { DataType: "String", StringValue: "S3 down" },
    });
    expect(outcome.discarded).toEqual([expect.objectContaining({ records: 1, attempts: 3, firstEventId: input[3]?.eventID })]);
  });
});
