// Event factories for archive tests: Lambda-shaped REMOVE records as DynamoDB Streams sends them.
import type { DynamoDBRecord } from "aws-lambda";

export const STREAM_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/dev-TRAZABILIDAD/stream/2026-11-01T00:00:00.000";

export function removeRecord(
  overrides: Partial<DynamoDBRecord> = {},
  keys: Record<string, { S: string } | { N: string }> = { id: { S: "A-1" } },
): DynamoDBRecord {
  return {
    eventID: "c81e728d9d4c2f636f067f89cc14862c",
    eventName: "REMOVE",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: "eu-west-1",
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: 1795451423,
      Keys: keys,
      OldImage: { ...keys, estado: { S: "CERRADO" }, peso: { N: "12.50" }, blob: { B: "AAEC/w==" } },
      SequenceNumber: "4421584500000000017450439091",
      SizeBytes: 120,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
    ...overrides,
  };
}

export const TTL_IDENTITY = { type: "Service", principalId: "dynamodb.amazonaws.com" } as const;
