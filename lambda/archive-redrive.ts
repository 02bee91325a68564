// archive_redrive: the pipes' dead-letter queue's consumer (SQS event source mapping). Each
// message is a pipe's pointer (shard and sequence numbers, not the records): core reads the
// records back from the stream and archives them (src/core/archive/redrive.ts), while the stream
// still holds them. Thin: per message, recover, then
// - every record archived (or already): success, the mapping deletes the message;
// - the stream no longer holds the records: the pointer goes to the archive dead-letter queue
//   for an operator (`trace archive redrive` reports it lost), then success;
// - anything else (S3, KMS, a throttle): a batch item failure, retried after the queue's
//   visibility timeout; after maxReceiveCount receives the queue moves it there itself.
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { keySchemaCache } from "../src/core/archive/key-schema";
import { type RedriveDeps, recoverDeadLetter } from "../src/core/archive/redrive";
import { createDynamoDbClient, createS3Client } from "../src/core/aws/clients";
import { createSqsClient, createStreamsClient } from "../src/core/aws/more-clients";
import { toTraceError } from "../src/core/errors";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createMetrics, emit } from "./shared/metrics";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv } from "./shared/runtime";

export interface RedriveHandlerDeps extends RedriveDeps {
  sqs: Pick<SQSClient, "send">;
  /** The function's metrics (lambda/shared/metrics.ts): Redrives, the pointers whose records were archived. */
  metrics?: Metrics;
  /** Where pointers whose records are gone are kept (ArchiveDeadLetterQueue). */
  parkingQueueUrl: string;
}

export type RedriveHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

const text = (value: string): MessageAttributeValue => ({ DataType: "String", StringValue: value.slice(0, 1024) || "-" });

/** The handler over injected clients: what tests call. */
export function createHandler(deps: RedriveHandlerDeps): RedriveHandler {
  const reporter = deps.archiver.reporter;
  return async (event) => {
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    let recovered = 0;
    for (const message of event.Records) {
      const outcome = await recoverDeadLetter(deps, message.body);
      const fields = { messageId: message.messageId, kind: outcome.kind, pointer: outcome.pointer, records: outcome.records };
      if (outcome.settled) {
        reporter.info("recovered", fields);
        recovered++;
        continue;
      }
      if (outcome.lost || outcome.kind === "unknown") {
        const reason = outcome.lost?.reason ?? outcome.error ?? "unrecoverable";
        reporter.warn("cannot recover: kept for an operator in the archive dead-letter queue", { ...fields, reason });
        try {
          await deps.sqs.send(
            new SendMessageCommand({
              QueueUrl: deps.parkingQueueUrl,
              MessageBody: message.body,
              MessageAttributes: { TraceRedriveReason: text(reason) },
            }),
          );
          continue;
        } catch (error) {
          reporter.warn("could not park the message; it is retried", { ...fields, error: toTraceError(error).message });
        }
      } else reporter.warn("recovery failed; retried after the visibility timeout", { ...fields, error: outcome.error });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
    emit(deps.metrics, { Redrives: recovered });
    return { batchItemFailures };
  };
}

const settings = lambdaAwsSettings();
const s3 = createS3Client(settings);
const dynamodb = createDynamoDbClient(settings);
const sqs = createSqsClient(settings);
const streams = createStreamsClient(settings);
const logger = createLogger("archive_redrive");
let deployed: RedriveHandler | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  deployed ??= createHandler({
    sqs,
    metrics: createMetrics("archive_redrive"),
    streams,
    parkingQueueUrl: requireEnv(LAMBDA_ENV.parkingQueueUrl),
    archiver: {
      s3,
      keySchema: keySchemaCache(dynamodb),
      bucket: requireEnv(LAMBDA_ENV.bucketName),
      kmsKeyArn: requireEnv(LAMBDA_ENV.kmsKeyArn),
      reporter: loggerReporter(logger),
    },
  });
  return deployed(event);
}
