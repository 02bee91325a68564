/**
 * The archive path as deployed (archive.yaml), for local mode: Pipe → bus → rule → archiver, with
 * the limits AWS enforces and the emulator does not, so a record AWS would lose is lost here too:
 * - the Pipe keeps the records its FilterCriteria match and sends them in batches of BatchSize;
 *   with an enrichment, the batch (a JSON array) goes to that handler and what it returns goes on;
 * - each element becomes one PutEvents entry (Source and DetailType from the target parameters):
 *   at most 10 per request, and "The total entry size must be less than 256KB"
 *   (eb-putevent-size.html; src/core/archive/event-size.ts). A request over it is rejected;
 * - a failed execution (enrichment error or rejected request) is retried MaximumRetryAttempts
 *   times, then the batch's position goes to the Pipe's dead-letter queue and the shard moves on
 *   (unbounded retries stop the shard at the batch for the next run);
 * - the bus hands each event matching the rule's pattern to the archiver asynchronously: a failure
 *   is retried as Lambda retries an asynchronous event, then the event goes as is, with Lambda's
 *   attributes, to the function's dead-letter queue.
 * MaximumRecordAgeInSeconds is not applied (local records are minutes old).
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBRecord } from "aws-lambda";
import { PUT_EVENTS_LIMIT_BYTES, PUT_EVENTS_MAX_ENTRIES, type PutEventsEntry, putEventsRequestSize } from "../core/archive/event-size";
import { toPipeBusEvent } from "../core/archive/pipe-event";
import { errorText } from "./consumers";
import type { ArchiveTargetSettings, PipeSettings } from "./delivery-settings";
import { passesFilters } from "./event-pattern";
import { deadLetterAttributes, type FailureSink, pipeDeadLetterRecord } from "./failure-records";
import type { DiscardedRecords, ShardOutcome, StreamConsumer } from "./pump";

export type BusEventHandler = (event: unknown) => Promise<unknown>;
export type EnrichmentHandler = (batch: unknown[]) => Promise<unknown>;

export interface PipeConsumerOptions {
  name: string;
  streamArn: string;
  pipe: PipeSettings;
  pipeArn: string;
  target: ArchiveTargetSettings;
  /** The handler of the pipe's enrichment; required when the template gives the pipe one. */
  enrich?: EnrichmentHandler;
  /** The archiver. */
  handle: BusEventHandler;
  /** The Pipe's dead-letter queue URL; absent when it has none (the batch is dropped). */
  pipeDeadLetterQueueUrl?: string;
  /** The archiver's dead-letter queue URL; absent when it has none (the event is dropped). */
  deadLetterQueueUrl?: string;
  sendFailure: FailureSink;
}

/** The JSON form of a record, as the Pipe reads it (binary as base64). */
const asJson = (record: DynamoDBRecord): DynamoDBRecord => toPipeBusEvent(record).detail;

/** What a Lambda enrichment's response hands on: an array as is; "", {}, [] or null: nothing. */
function enriched(response: unknown): unknown[] {
  if (Array.isArray(response)) return response;
  if (response === "" || response === null || response === undefined) return [];
  if (typeof response === "object" && Object.keys(response as object).length === 0) return [];
  return [response];
}

/** PutEvents' checks, as AWS documents them (the emulator checks neither). */
function putEvents(entries: readonly PutEventsEntry[]): void {
  if (entries.length > PUT_EVENTS_MAX_ENTRIES) {
    throw new Error(`the pipe's batch has ${entries.length} entries; an event bus takes at most ${PUT_EVENTS_MAX_ENTRIES}`);
  }
  const size = putEventsRequestSize(entries);
  if (size >= PUT_EVENTS_LIMIT_BYTES) {
    throw new Error(
      `PutEvents rejected: the total entry size is ${size} bytes, not less than 256KB (${PUT_EVENTS_LIMIT_BYTES}; eb-putevent-size.html)`,
    );
  }
}

type Execution = { ok: true; payloads: unknown[] } | { ok: false; attempts: number; reason: string };

/** Feeds the archiver from a table's stream as its Pipe, the bus and the rule do. */
export function pipeConsumer(options: PipeConsumerOptions): StreamConsumer {
  const { pipe } = options;
  if (pipe.enrichment && !options.enrich)
    throw new Error(`pipe ${pipe.logicalId} has an enrichment (${pipe.enrichment}) and no handler for it`);

  /** One pipe execution, retried as configured: enrichment, then PutEvents' limits. */
  async function execute(batch: DynamoDBRecord[]): Promise<Execution | undefined> {
    for (let attempts = 1; ; attempts++) {
      try {
        const records = batch.map(asJson);
        const payloads = options.enrich ? enriched(await options.enrich(records)) : records;
        putEvents(payloads.map((p) => ({ Time: true, Source: pipe.source, DetailType: pipe.detailType, Detail: JSON.stringify(p) })));
        return { ok: true, payloads };
      } catch (error) {
        if (pipe.maximumRetryAttempts < 0) return undefined;
        if (attempts > pipe.maximumRetryAttempts) return { ok: false, attempts, reason: errorText(error) };
      }
    }
  }

  async function giveUp(
    batch: DynamoDBRecord[],
    shardId: string,
    failure: { attempts: number; reason: string },
  ): Promise<DiscardedRecords> {
    const pointer = pipeDeadLetterRecord({ batch, shardId, streamArn: options.streamArn, pipeArn: options.pipeArn });
    const queueUrl = options.pipeDeadLetterQueueUrl;
    const messageId = queueUrl ? await options.sendFailure(queueUrl, pointer) : undefined;
    return {
      consumer: options.name,
      records: batch.length,
      firstEventId: batch[0]?.eventID ?? "",
      startSequenceNumber: pointer.DDBStreamBatchInfo.startSequenceNumber,
      endSequenceNumber: pointer.DDBStreamBatchInfo.endSequenceNumber,
      attempts: failure.attempts,
      reason: `pipe ${pipe.logicalId}: ${failure.reason}`,
      ...(queueUrl ? { queueUrl } : {}),
      ...(messageId ? { messageId } : {}),
    };
  }

  /** The bus → rule → archiver leg for one entry: asynchronous invocation, Lambda's retries, its DLQ. */
  async function deliver(payload: unknown, record: DynamoDBRecord): Promise<DiscardedRecords | undefined> {
    const event = { ...toPipeBusEvent(payload as DynamoDBRecord), source: pipe.source, "detail-type": pipe.detailType };
    if (!passesFilters([options.target.rulePattern], event)) return undefined;
    for (let attempts = 1; ; attempts++) {
      try {
        await options.handle(event);
        return undefined;
      } catch (error) {
        if (attempts <= options.target.functionRetryAttempts) continue;
        const queueUrl = options.deadLetterQueueUrl;
        const messageId = queueUrl ? await options.sendFailure(queueUrl, event, deadLetterAttributes(randomUUID(), error)) : undefined;
        const sequence = record.dynamodb?.SequenceNumber ?? "";
        return {
          consumer: options.name,
          records: 1,
          firstEventId: record.eventID ?? "",
          startSequenceNumber: sequence,
          endSequenceNumber: sequence,
          attempts,
          reason: errorText(error),
          ...(queueUrl ? { queueUrl } : {}),
          ...(messageId ? { messageId } : {}),
        };
      }
    }
  }

  return {
    name: options.name,
    streamArn: options.streamArn,
    async handle(records, shardId): Promise<ShardOutcome> {
      const discarded: DiscardedRecords[] = [];
      const matching = records.filter((r) => passesFilters(pipe.filterPatterns, asJson(r)));
      for (let start = 0; start < matching.length; start += pipe.batchSize) {
        const batch = matching.slice(start, start + pipe.batchSize);
        const execution = await execute(batch);
        // Unbounded retries: the shard waits at this batch, as it would until the records expire.
        if (!execution) return { done: records.indexOf(batch[0] as DynamoDBRecord), discarded };
        if (!execution.ok) {
          discarded.push(await giveUp(batch, shardId, execution));
          continue;
        }
        // The enrichment may return fewer or more elements; each is matched to its record by eventID.
        for (const payload of execution.payloads) {
          const eventId = (payload as { eventID?: unknown } | null)?.eventID;
          const record = batch.find((r) => r.eventID === eventId) ?? (batch[0] as DynamoDBRecord);
          const failed = await deliver(payload, record);
          if (failed) discarded.push(failed);
        }
      }
      return { done: records.length, discarded };
    },
  };
}
