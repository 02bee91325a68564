// audit_producer: Configuration table stream → Audit table. Thin: Powertools' BatchProcessor
// runs core's `auditRecord` on each record and reports the failed ones by sequence number, so the
// event source mapping retries from the first failure (never the records before it) and, with
// bisect, bounded retries and the on-failure queue in the template, one poison record cannot
// block the shard. Replays are harmless: entry ids derive from the record (see core/audit).
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { auditRecord, type PutItemPort } from "../src/core/audit/writer";
import { createDynamoDbClient } from "../src/core/aws/clients";
import { createLimiter } from "../src/core/concurrency";
import { toTraceError } from "../src/core/errors";
import type { Reporter } from "../src/core/reporter";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createMetrics, emit } from "./shared/metrics";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv } from "./shared/runtime";

export interface AuditProducerDeps {
  dynamodb: PutItemPort;
  auditTableName: string;
  reporter: Reporter;
  /** The function's metrics (lambda/shared/metrics.ts); absent: none emitted. */
  metrics?: Metrics;
  /** Records written at once (default 16). */
  concurrency?: number;
  /**
   * When every record of a batch fails, throw (Powertools' default: the invocation errors, which
   * the Errors alarm sees) instead of returning them all as failures. Default true.
   */
  throwOnFullBatchFailure?: boolean;
}

export type AuditProducerHandler = (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse>;

/** The handler with its dependencies injected: the deployed function, tests and `trace local` run this. */
export function createHandler(deps: AuditProducerDeps): AuditProducerHandler {
  const limit = createLimiter(deps.concurrency ?? 16);
  return async (event, context) => {
    // A processor per invocation: it keeps per-batch state, and tests may run batches concurrently.
    const processor = new BatchProcessor(EventType.DynamoDBStreams);
    const totals = { entries: 0, written: 0, duplicates: 0 };
    const recordHandler = (record: DynamoDBRecord) =>
      limit(async () => {
        try {
          const result = await auditRecord(deps.dynamodb, deps.auditTableName, record);
          totals.entries += result.entries;
          totals.written += result.written;
          totals.duplicates += result.duplicates;
          return result;
        } catch (error) {
          const traced = toTraceError(error);
          deps.reporter.warn("record failed", {
            eventID: record.eventID,
            eventName: record.eventName,
            sequenceNumber: record.dynamodb?.SequenceNumber,
            code: traced.code,
            error: traced.message,
          });
          throw traced;
        }
      });
    try {
      const response = await processPartialResponse(event, recordHandler, processor, {
        ...(context ? { context } : {}),
        throwOnFullBatchFailure: deps.throwOnFullBatchFailure ?? true,
      });
      deps.reporter.info("batch processed", { records: event.Records.length, failed: response.batchItemFailures.length, ...totals });
      emit(deps.metrics, { AuditEntriesWritten: totals.written, AuditRecordsFailed: response.batchItemFailures.length });
      return response as DynamoDBBatchResponse;
    } catch (error) {
      deps.reporter.warn("batch failed: every record failed", { records: event.Records.length, failed: event.Records.length, ...totals });
      emit(deps.metrics, { AuditEntriesWritten: totals.written, AuditRecordsFailed: event.Records.length });
      throw error;
    }
  };
}

// Module scope: built once per container, reused by warm invocations.
const logger = createLogger("audit_producer");
const metrics = createMetrics("audit_producer");
const dynamodb = createDynamoDbClient(lambdaAwsSettings());
let deployed: AuditProducerHandler | undefined;

export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  logger.addContext(context);
  deployed ??= createHandler({
    dynamodb,
    auditTableName: requireEnv(LAMBDA_ENV.auditTableName),
    reporter: loggerReporter(logger),
    metrics,
  });
  return deployed(event, context);
};
