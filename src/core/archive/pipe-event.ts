/**
 * The event the archiver receives, and the one rule that routes it there.
 *
 * Deployed path: table stream → EventBridge Pipe (batch 10) → custom bus → rule → archiver.
 * What each hop does to a stream record, from the AWS documentation:
 * - A Pipe with a DynamoDB stream source receives records in the same shape Lambda gets from an
 *   event source mapping: `{eventID, eventName, eventVersion, eventSource: "aws:dynamodb",
 *   awsRegion, dynamodb: {ApproximateCreationDateTime (epoch seconds), Keys, NewImage, OldImage,
 *   SequenceNumber, SizeBytes, StreamViewType}, eventSourceARN}` (EventBridge user guide, "Amazon
 *   DynamoDB stream as a source for EventBridge Pipes", eb-pipes-dynamodb.html, example event).
 *   Deletions by TTL carry `userIdentity: {type: "Service", principalId: "dynamodb.amazonaws.com"}`
 *   (DynamoDB API reference, Streams `Record.userIdentity`; Powertools' DynamoDBStreamEvent schema).
 *   Binary values are base64 text, as in any JSON rendering of DynamoDB JSON.
 * - With an event bus target the Pipe calls PutEvents once per record, with the target parameters
 *   `Source`, `DetailType` (and optional `Resources`, `Time`: when no Time is given, the PutEvents
 *   time is used) — PipeTargetEventBridgeEventBusParameters in the Pipes API reference. The record
 *   itself becomes `detail`.
 * - The bus delivers each matching event to the rule's Lambda target as the standard EventBridge
 *   envelope `{version: "0", id, "detail-type", source, account, time, region, resources, detail}`
 *   (EventBridge user guide, "Amazon EventBridge events" structure), one event per invocation.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBRecord, EventBridgeEvent } from "aws-lambda";

/** The target parameters the archive template gives the Pipe. */
export const PIPE_EVENT_SOURCE = "trace.archive";
export const PIPE_DETAIL_TYPE = "DynamoDB Stream Record";

/** The rule's EventPattern in cloudformation/archive.yaml: only deletions reach the archiver. */
export const REMOVE_EVENT_PATTERN = {
  source: [PIPE_EVENT_SOURCE],
  detail: { eventName: ["REMOVE"] },
} as const;

/** A stream record as JSON (binary values as base64), as the Pipe forwards it. */
export type PipeStreamRecord = DynamoDBRecord;
export type ArchiveBusEvent = EventBridgeEvent<string, PipeStreamRecord>;

export interface WrapOptions {
  account?: string;
  /** Defaults to the record's awsRegion. */
  region?: string;
  /** RFC 3339 time of the event; defaults to now, as PutEvents does. */
  time?: string;
  id?: string;
  /** The template may set `Resources`; by default the Pipe sends none. */
  resources?: string[];
}

// JSON has no bytes: the SDK's Uint8Array (from the Streams API) becomes base64, as on the wire.
function toJsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return value;
}

/**
 * Wraps one Lambda-shaped stream record the way the Pipe puts it on the bus and the bus hands it
 * to the rule's Lambda target: the EventBridge envelope with the record (as JSON) in `detail`.
 * Used by local mode and tests to feed the archiver exactly what it gets when deployed.
 */
export function toPipeBusEvent(record: DynamoDBRecord, options: WrapOptions = {}): ArchiveBusEvent {
  const detail = JSON.parse(JSON.stringify(record, toJsonValue)) as PipeStreamRecord;
  return {
    version: "0",
    id: options.id ?? randomUUID(),
    "detail-type": PIPE_DETAIL_TYPE,
    source: PIPE_EVENT_SOURCE,
    account: options.account ?? accountFromArn(record.eventSourceARN) ?? "000000000000",
    time: options.time ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: options.region ?? record.awsRegion ?? "us-east-1",
    resources: options.resources ?? [],
    detail,
  };
}

function accountFromArn(arn: string | undefined): string | undefined {
  const account = arn?.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/**
 * True when the event matches REMOVE_EVENT_PATTERN, with EventBridge's semantics for this one
 * pattern: each listed field must exist and equal one of the listed values.
 */
export function matchesRemovePattern(event: unknown): boolean {
  if (typeof event !== "object" || event === null) return false;
  const e = event as { source?: unknown; detail?: { eventName?: unknown } };
  return (
    (REMOVE_EVENT_PATTERN.source as readonly unknown[]).includes(e.source) &&
    typeof e.detail === "object" &&
    e.detail !== null &&
    (REMOVE_EVENT_PATTERN.detail.eventName as readonly unknown[]).includes(e.detail.eventName)
  );
}
