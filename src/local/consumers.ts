/**
 * Adapters from stream records to the deployed entry points, with the delivery semantics the
 * templates configure (see delivery-settings.ts), so a record the handler cannot process fails
 * as it would on AWS and the shard moves on:
 * - audit_producer behind a Lambda event source mapping: batches of BatchSize, partial batch
 *   responses, bisect on a thrown invocation, MaximumRetryAttempts retries, then the batch's
 *   position goes to the on-failure queue as Lambda's invocation record and the shard continues;
 * - the archiver behind Pipe → bus → rule: the Pipe's filter and the rule's pattern decide what
 *   reaches it; EventBridge invokes it asynchronously, so a failure is retried by Lambda (the
 *   function's retry attempts) and then the event goes to the function's dead-letter queue.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { toPipeBusEvent } from "../core/archive/pipe-event";
import type { ArchiveTargetSettings, PipeSettings, StreamMappingSettings } from "./delivery-settings";
import { passesFilters } from "./event-pattern";
import { deadLetterAttributes, type FailureSink, streamInvocationRecord } from "./failure-records";
import type { DiscardedRecords, ShardOutcome, StreamConsumer } from "./pump";

export type StreamBatchHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
export type BusEventHandler = (event: unknown) => Promise<unknown>;

type Invocation = { kind: "ok" } | { kind: "partial"; from: number } | { kind: "error"; message: string };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface MappingConsumerOptions {
  name: string;
  streamArn: string;
  /** The mapping's target (the alias ARN), as the invocation record names it. */
  functionArn: string;
  settings: StreamMappingSettings;
  handle: StreamBatchHandler;
  /** The on-failure queue's URL; absent when the mapping has no destination (records are dropped). */
  onFailureQueueUrl?: string;
  sendFailure: FailureSink;
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
 * A batch that used up its retries: Lambda's invocation record goes to the on-failure queue (when
 * there is one) and the shard moves on; says what was discarded and where its record went.
 */
async function discard(
  options: MappingConsumerOptions,
  batch: DynamoDBRecord[],
  shardId: string,
  invokes: number,
  outcome: Exclude<Invocation, { kind: "ok" }>,
): Promise<DiscardedRecords> {
  const functionError = outcome.kind === "error" ? "Unhandled" : undefined;
  const record = streamInvocationRecord({
    batch,
    shardId,
    streamArn: options.streamArn,
    functionArn: options.functionArn,
    invokeCount: invokes,
    ...(functionError ? { functionError } : {}),
  });
  const messageId = options.onFailureQueueUrl ? await options.sendFailure(options.onFailureQueueUrl, record) : undefined;
  return {
    consumer: options.name,
    records: batch.length,
    firstEventId: batch[0]?.eventID ?? "",
    startSequenceNumber: record.DDBStreamBatchInfo.startSequenceNumber,
    endSequenceNumber: record.DDBStreamBatchInfo.endSequenceNumber,
    attempts: invokes,
    reason: outcome.kind === "error" ? outcome.message : "the handler reported the record as failed",
    ...(options.onFailureQueueUrl ? { queueUrl: options.onFailureQueueUrl } : {}),
    ...(messageId ? { messageId } : {}),
  };
}

export interface ArchiveConsumerOptions {
  name: string;
  streamArn: string;
  pipe: Pick<PipeSettings, "filterPatterns">;
  target: ArchiveTargetSettings;
  handle: BusEventHandler;
  /** The function's dead-letter queue URL; absent when it has none (failed events are dropped). */
  deadLetterQueueUrl?: string;
  sendFailure: FailureSink;
}

/**
 * Feeds the archiver as Pipe → bus → rule → Lambda (asynchronous) does: records that pass the
 * Pipe's filter become bus events; those matching the rule's pattern are handed over, retried
 * on error as many times as Lambda retries an asynchronous event, then dead-lettered as is.
 */
export function archiveConsumer(options: ArchiveConsumerOptions): StreamConsumer {
  const { target } = options;
  return {
    name: options.name,
    streamArn: options.streamArn,
    async handle(records): Promise<ShardOutcome> {
      const discarded: DiscardedRecords[] = [];
      for (const record of records) {
        const event = toPipeBusEvent(record);
        if (!passesFilters(options.pipe.filterPatterns, event.detail) || !passesFilters([target.rulePattern], event)) continue;
        let attempts = 0;
        for (;;) {
          attempts++;
          try {
            await options.handle(event);
            break;
          } catch (error) {
            if (attempts <= target.functionRetryAttempts) continue;
            const requestId = randomUUID();
            const messageId = options.deadLetterQueueUrl
              ? await options.sendFailure(options.deadLetterQueueUrl, event, deadLetterAttributes(requestId, error))
              : undefined;
            const sequence = record.dynamodb?.SequenceNumber ?? "";
            discarded.push({
              consumer: options.name,
              records: 1,
              firstEventId: record.eventID ?? "",
              startSequenceNumber: sequence,
              endSequenceNumber: sequence,
              attempts,
              reason: errorText(error),
              ...(options.deadLetterQueueUrl ? { queueUrl: options.deadLetterQueueUrl } : {}),
              ...(messageId ? { messageId } : {}),
            });
            break;
          }
        }
      }
      return { done: records.length, discarded };
    },
  };
}
