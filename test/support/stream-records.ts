// Event factories for DynamoDB stream records in Lambda's shape (DynamoDB JSON images).
import type { AttributeValue, DynamoDBRecord } from "aws-lambda";

type Image = Record<string, AttributeValue>;

let sequence = 100_000_000_000_000_000_000n;

export interface RecordOptions {
  eventID?: string;
  /** Epoch seconds, as Lambda delivers ApproximateCreationDateTime. */
  at?: number;
  key?: string;
}

function base(eventName: DynamoDBRecord["eventName"], keyValue: string, options: RecordOptions): DynamoDBRecord {
  sequence += 1n;
  return {
    eventID: options.eventID ?? `event-${sequence}`,
    eventName,
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: "us-east-1",
    eventSourceARN: "arn:aws:dynamodb:us-east-1:123456789012:table/Configuration/stream/2026-11-23T00:00:00.000",
    dynamodb: {
      ApproximateCreationDateTime: options.at ?? 1_795_000_000,
      Keys: { key: { S: keyValue } },
      SequenceNumber: String(sequence),
      SizeBytes: 100,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
  };
}

const keyOf = (image: Image) => image.key?.S ?? "?";

export function insertRecord(newImage: Image, options: RecordOptions = {}): DynamoDBRecord {
  const record = base("INSERT", options.key ?? keyOf(newImage), options);
  record.dynamodb = { ...record.dynamodb, NewImage: newImage };
  return record;
}

export function modifyRecord(oldImage: Image, newImage: Image, options: RecordOptions = {}): DynamoDBRecord {
  const record = base("MODIFY", options.key ?? keyOf(newImage), options);
  record.dynamodb = { ...record.dynamodb, OldImage: oldImage, NewImage: newImage };
  return record;
}

export function removeRecord(oldImage: Image, options: RecordOptions = {}): DynamoDBRecord {
  const record = base("REMOVE", options.key ?? keyOf(oldImage), options);
  record.dynamodb = { ...record.dynamodb, OldImage: oldImage };
  return record;
}
