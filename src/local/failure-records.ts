/**
 * What AWS writes to a failure queue when it gives up on a stream record, in the documented
 * shapes (fixtures in test/fixtures/aws-events/ cite the pages):
 * - a Lambda stream event source mapping's on-failure destination receives an invocation record
 *   with the batch's position in the stream, never the records themselves
 *   (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html);
 * - a function's dead-letter queue, after Lambda's asynchronous retries, receives the event as
 *   is, with the attributes RequestID, ErrorCode and ErrorMessage
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html#invocation-dlq).
 */
import { randomUUID } from "node:crypto";
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
  const { batch } = options;
  const first = batch[0];
  const last = batch[batch.length - 1];
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
    DDBStreamBatchInfo: {
      shardId: options.shardId,
      startSequenceNumber: first?.dynamodb?.SequenceNumber ?? "",
      endSequenceNumber: last?.dynamodb?.SequenceNumber ?? "",
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: batch.length,
      streamArn: options.streamArn,
    },
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
