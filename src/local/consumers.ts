/**
 * The stream consumer behind a Lambda event source mapping (audit_producer), with the delivery
 * semantics the template configures (see delivery-settings.ts), so a record the handler cannot
 * process fails as it would on AWS and the shard moves on: batches of BatchSize, partial batch
 * responses, bisect on a thrown invocation, MaximumRetryAttempts retries, then the batch goes to
 * the on-failure destination (an SQS queue gets Lambda's invocation record, its position only; an
 * S3 bucket gets that record and the whole batch) and the shard continues. The archive pipes'
 * consumer is in pipe-consumer.ts.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import type { StreamMappingSettings } from "./delivery-settings";
import { type BucketFailureSink, type FailureSink, s3FailureObjectKey, streamInvocationRecord } from "./failure-records";
import type { DiscardedRecords, StreamConsumer } from "./pump";

export type StreamBatchHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

type Invocation = { kind: "ok" } | { kind: "partial"; from: number } | { kind: "error"; message: string };

export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface MappingConsumerOptions {
  name: string;
  streamArn: string;
  /** The mapping's target (the alias ARN), as the invocation record names it. */
  functionArn: string;
  settings: StreamMappingSettings;
  handle: StreamBatchHandler;
  /** The on-failure destination; absent when the mapping has none (records are dropped). */
  onFailure?: { type: "sqs"; queueUrl: string } | { type: "s3"; bucket: string; mappingUuid: string };
  sendFailure: FailureSink;
  putFailure: BucketFailureSink;
  now?: () => Date;
}

/** Feeds a stream-triggered handler as a Lambda event source mapping with the given settings does. */
export function mappingConsumer(options: MappingConsumerOptions): StreamConsumer {
  const { settings } = options;

  async function invoke(batch: DynamoDBRecord[]): Promise<Invocation> {
    let response: DynamoDBBatchResponse | undefined;
    try {
      response = await options.handle({ Records: batch });
    } catch (error) {
      return { kind: "error", message: errorText(error) };
    }
    // Without ReportBatchItemFailures, Lambda ignores the response: a returned batch succeeded.
    const failures = settings.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
    if (failures.length === 0) return { kind: "ok" };
    const positions = failures.map((f) => batch.findIndex((r) => r.dynamodb?.SequenceNumber === f.itemIdentifier));
    // An empty, null or unknown identifier makes Lambda treat the whole batch as failed.
    if (positions.some((p) => p < 0)) return { kind: "partial", from: 0 };
    return { kind: "partial", from: Math.min(...positions) };
  }

  /**
   * Delivers one batch until it succeeds or is discarded. Returns how many records of it are done
   * (succeeded or discarded); fewer than its length only when retries are unbounded (-1), where
   * the shard waits at the failed record for the next run, as it would until the record expires.
   */
  async function deliver(batch: DynamoDBRecord[], retries: number, shardId: string, discarded: DiscardedRecords[]): Promise<number> {
    let current = batch;
    let invokes = 0;
    for (;;) {
      invokes++;
      const outcome = await invoke(current);
      if (outcome.kind === "ok") return batch.length;
      if (outcome.kind === "partial") current = current.slice(outcome.from);
      if (outcome.kind === "error" && settings.bisectBatchOnFunctionError && current.length > 1) {
        // Splitting does not count towards the retry quota; each half carries the count so far.
        const offset = batch.length - current.length;
        const half = Math.ceil(current.length / 2);
        const first = await deliver(current.slice(0, half), retries, shardId, discarded);
        if (first < half) return offset + first;
        return offset + half + (await deliver(current.slice(half), retries, shardId, discarded));
      }
      if (settings.maximumRetryAttempts < 0) return batch.length - current.length;
      if (retries >= settings.maximumRetryAttempts) {
        discarded.push(await discard(options, current, shardId, invokes, outcome));
        return batch.length;
      }
      retries++;
    }
  }

  return {
    name: options.name,
    streamArn: options.streamArn,
    async handle(records, shardId) {
      const discarded: DiscardedRecords[] = [];
      for (let start = 0; start < records.length; start += settings.batchSize) {
        const batch = records.slice(start, start + settings.batchSize);
        const done = await deliver(batch, 0, shardId, discarded);
        if (done < batch.length) return { done: start + done, discarded };
      }
      return { done: records.length, discarded };
    },
  };
}

/**
 * A batch that used up its retries: Lambda's invocation record goes to the on-failure destination
 * (when there is one; a bucket also gets the whole batch) and the shard moves on; says what was
 * discarded and where its record went.
 */
async function discard(
  options: MappingConsumerOptions,
  batch: DynamoDBRecord[],
  shardId: string,
  invokes: number,
  outcome: Exclude<Invocation, { kind: "ok" }>,
): Promise<DiscardedRecords> {
  const functionError = outcome.kind === "error" ? "Unhandled" : undefined;
  const now = options.now?.() ?? new Date();
  const record = streamInvocationRecord({
    batch,
    shardId,
    streamArn: options.streamArn,
    functionArn: options.functionArn,
    invokeCount: invokes,
    now,
    ...(functionError ? { functionError } : {}),
  });
  const discarded: DiscardedRecords = {
    consumer: options.name,
    records: batch.length,
    firstEventId: batch[0]?.eventID ?? "",
    startSequenceNumber: record.DDBStreamBatchInfo.startSequenceNumber,
    endSequenceNumber: record.DDBStreamBatchInfo.endSequenceNumber,
    attempts: invokes,
    reason: outcome.kind === "error" ? outcome.message : "the handler reported the record as failed",
  };
  const destination = options.onFailure;
  if (destination?.type === "sqs") {
    const messageId = await options.sendFailure(destination.queueUrl, record);
    return { ...discarded, queueUrl: destination.queueUrl, ...(messageId ? { messageId } : {}) };
  }
  if (destination?.type === "s3") {
    const key = s3FailureObjectKey(destination.mappingUuid, shardId, now);
    await options.putFailure(destination.bucket, key, { ...record, payload: { Records: [...batch] } });
    return { ...discarded, object: `s3://${destination.bucket}/${key}` };
  }
  return discarded;
}
