/**
 * Adapters from stream records to the deployed entry points, with the same delivery semantics:
 * the audit handler gets Lambda batches (size 100, as the event source mapping sends) and reports
 * partial failures; the archiver gets each record wrapped as the Pipe puts it on the bus, only
 * when it matches the bus rule's pattern.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { matchesRemovePattern, toPipeBusEvent } from "../archive/pipe-event";
import type { StreamConsumer } from "./pump";

/** The event source mapping's batch size in cloudformation/audit.yaml. */
export const AUDIT_BATCH_SIZE = 100;

export type StreamBatchHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
export type BusEventHandler = (event: unknown) => Promise<unknown>;

/** Feeds a stream-triggered handler; a batch stops at its first failed record (retried later). */
export function batchConsumer(name: string, streamArn: string, handle: StreamBatchHandler, batchSize = AUDIT_BATCH_SIZE): StreamConsumer {
  return {
    name,
    streamArn,
    async handle(records: DynamoDBRecord[]) {
      for (let start = 0; start < records.length; start += batchSize) {
        const batch = records.slice(start, start + batchSize);
        let failed: Set<string>;
        try {
          const response = await handle({ Records: batch });
          failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        } catch {
          // A thrown invocation fails the whole batch, as Lambda retries it whole.
          return start;
        }
        const first = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ""));
        if (first >= 0) return start + first;
      }
      return records.length;
    },
  };
}

/** Feeds the bus rule's target: REMOVE records only, one event each, as the Pipe delivers them. */
export function pipeConsumer(name: string, streamArn: string, handle: BusEventHandler): StreamConsumer {
  return {
    name,
    streamArn,
    async handle(records: DynamoDBRecord[]) {
      for (const [index, record] of records.entries()) {
        const event = toPipeBusEvent(record);
        if (!matchesRemovePattern(event)) continue;
        try {
          await handle(event);
        } catch {
          return index;
        }
      }
      return records.length;
    },
  };
}
