/**
 * What AWS writes to a failure queue when it gives up on a stream record, in the documented
 * shapes (fixtures in test/fixtures/aws-events/ cite the pages):
 * - a Lambda stream event source mapping's on-failure destination receives an invocation record
 *   with the batch's position in the stream, never the records themselves
 *   (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html);
 * - with an S3 bucket as that destination, "Lambda also sends the entire invocation record along
 *   with the metadata" (same page), as the object
 *   `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>`
 *   (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html);
 * - a function's dead-letter queue, after Lambda's asynchronous retries, receives the event as
 *   is, with the attributes RequestID, ErrorCode and ErrorMessage
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html#invocation-dlq);
 * - a Pipe's dead-letter queue, for a stream source, receives the batch's position
 *   (`DDBStreamBatchInfo`, as above) with the pipe's ARN and the condition
 *   (test/fixtures/aws-events/pipes-dynamodb-dead-letter.json says what AWS documents of it).
 */
import { createHash, randomUUID } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBRecord } from "aws-lambda";
import { toTraceError } from "../core/errors";

/** The invocation record a stream event source mapping sends to its on-failure destination. */
export interface StreamInvocationRecord {
  requestContext: { requestId: string; functionArn: string; condition: string; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: "1.0";
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

// Epoch seconds (as Lambda delivers ApproximateCreationDateTime) in the record's second-precision form.
const arrival = (record: DynamoDBRecord | undefined) => {
  const seconds = record?.dynamodb?.ApproximateCreationDateTime;
  return new Date(seconds === undefined ? 0 : seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
};

/** The position of a batch in its stream, as failure records give it. */
export function streamBatchInfo(
  batch: readonly DynamoDBRecord[],
  shardId: string,
  streamArn: string,
): StreamInvocationRecord["DDBStreamBatchInfo"] {
  const first = batch[0];
  const last = batch[batch.length - 1];
  return {
    shardId,
    startSequenceNumber: first?.dynamodb?.SequenceNumber ?? "",
    endSequenceNumber: last?.dynamodb?.SequenceNumber ?? "",
    approximateArrivalOfFirstRecord: arrival(first),
    approximateArrivalOfLastRecord: arrival(last),
    batchSize: batch.length,
    streamArn,
  };
}

/** Builds the on-failure invocation record for a batch the mapping discards. */
export function streamInvocationRecord(options: {
  batch: readonly DynamoDBRecord[];
  shardId: string;
  streamArn: string;
  functionArn: string;
  invokeCount: number;
  /** The invocation threw ("Unhandled"); absent when the function returned failed items. */
  functionError?: string;
  now?: Date;
}): StreamInvocationRecord {
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: options.functionArn,
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: options.invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: "$LATEST",
      ...(options.functionError ? { functionError: options.functionError } : {}),
    },
    version: "1.0",
    timestamp: (options.now ?? new Date()).toISOString(),
    DDBStreamBatchInfo: streamBatchInfo(options.batch, options.shardId, options.streamArn),
  };
}

/** What a Pipe sends to its dead-letter queue when it gives up on a batch of a stream. */
export interface PipeDeadLetterRecord {
  context: { partnerResourceArn: string; condition: string };
  version: "1.0";
  timestamp: string;
  DDBStreamBatchInfo: StreamInvocationRecord["DDBStreamBatchInfo"];
}

export function pipeDeadLetterRecord(options: {
  batch: readonly DynamoDBRecord[];
  shardId: string;
  streamArn: string;
  pipeArn: string;
  now?: Date;
}): PipeDeadLetterRecord {
  return {
    context: { partnerResourceArn: options.pipeArn, condition: "RetryAttemptsExhausted" },
    version: "1.0",
    timestamp: (options.now ?? new Date()).toISOString(),
    DDBStreamBatchInfo: streamBatchInfo(options.batch, options.shardId, options.streamArn),
  };
}

/**
 * The mapping's UUID, for the S3 object key. Local mode creates no mapping (`streamTriggers:
 * false`), so it stands in a fixed one derived from the function and the stream.
 */
export function localMappingUuid(functionArn: string, streamArn: string): string {
  const h = createHash("sha256").update(`${functionArn}\n${streamArn}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>` (UTC). */
export function s3FailureObjectKey(mappingUuid: string, shardId: string, at: Date, id: string = randomUUID()): string {
  const iso = at.toISOString();
  const [date = "", time = ""] = iso.split("T");
  const stamp = `${date}T${time.slice(0, 8).replaceAll(":", ".")}`;
  return `aws/lambda/${mappingUuid}/${shardId}/${date.replaceAll("-", "/")}/${stamp}-${id}`;
}

/** A failed batch as an S3 destination keeps it: the invocation record and the invocation's event. */
export type S3FailureObject = StreamInvocationRecord & { payload: { Records: DynamoDBRecord[] } };

/** Where whole failed batches go: one PutObject per failure, as the service does. Resolves to the key. */
export type BucketFailureSink = (bucket: string, key: string, body: S3FailureObject) => Promise<void>;

export function s3FailureSink(s3: Pick<S3Client, "send">, signal?: AbortSignal): BucketFailureSink {
  return async (bucket, key, body) => {
    try {
      // As Lambda writes it: the bucket's default encryption applies (SSE-KMS with the data key).
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(body), ContentType: "application/json" }), {
        abortSignal: signal,
      });
    } catch (error) {
      throw toTraceError(error, `on-failure object s3://${bucket}/${key}`);
    }
  };
}

/** The message attributes Lambda adds when it sends a failed asynchronous event to a dead-letter queue. */
export function deadLetterAttributes(requestId: string, error: unknown): Record<string, MessageAttributeValue> {
  // The first 1 KB, never a torn character (a cut one decodes to U+FFFD and is dropped).
  const message = Buffer.from(error instanceof Error ? error.message : String(error), "utf8")
    .subarray(0, 1024)
    .toString("utf8")
    .replace(/\uFFFD+$/, "");
  return {
    RequestID: { DataType: "String", StringValue: requestId },
    ErrorCode: { DataType: "Number", StringValue: "200" },
    ErrorMessage: { DataType: "String", StringValue: message || "(no message)" },
  };
}

/** Where failed records go: one SQS SendMessage per failure, as the service does. */
export type FailureSink = (queueUrl: string, body: unknown, attributes?: Record<string, MessageAttributeValue>) => Promise<string>;

/** A sink writing to SQS; resolves to the message id. */
export function sqsFailureSink(sqs: Pick<SQSClient, "send">, signal?: AbortSignal): FailureSink {
  return async (queueUrl, body, attributes) => {
    try {
      const { MessageId } = await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(body),
          ...(attributes ? { MessageAttributes: attributes } : {}),
        }),
        { abortSignal: signal },
      );
      return MessageId ?? "";
    } catch (error) {
      throw toTraceError(error, `failure queue ${queueUrl}`);
    }
  };
}
