/**
 * One REMOVE stream record → its archive object (key and body), per the Archive contract.
 */
import type { DynamoDBRecord } from "aws-lambda";
import { ErrorCode, TraceError } from "../errors";
import { type JsonItem, keyText } from "./dynamo-json";
import type { KeySchema } from "./key-schema";
import { archiveObjectKey, type KeyPart } from "./object-key";

export const ARCHIVE_SCHEMA_VERSION = 1;

export const DeletionKind = { ttl: "ttl", user: "user" } as const;
export type DeletionKind = (typeof DeletionKind)[keyof typeof DeletionKind];

export interface ArchiveBody {
  schemaVersion: number;
  table: string;
  /** The item's key attributes (DynamoDB JSON), partition key first. */
  keys: JsonItem;
  deletedAt: string;
  deletionKind: DeletionKind;
  archivedAt: string;
  /** The stream record as received (DynamoDB JSON; binary as base64). */
  record: DynamoDBRecord;
}

export interface ArchiveObject {
  objectKey: string;
  body: ArchiveBody;
}

const invalid = (message: string) =>
  new TraceError(ErrorCode.failed, message, {
    hint: "the archiver only takes REMOVE records of a stream with old images (NEW_AND_OLD_IMAGES or OLD_IMAGE)",
  });

/** `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` → `<name>`. */
export function tableFromStreamArn(arn: string | undefined): string {
  const m = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)(\/|$)/.exec(arn ?? "");
  if (!m?.[1]) throw invalid(`cannot tell the table from eventSourceARN "${arn ?? ""}"`);
  return m[1];
}

/** TTL expiries are deleted by the DynamoDB service itself; anything else is a user deletion. */
export function deletionKindOf(record: DynamoDBRecord): DeletionKind {
  const identity = record.userIdentity as { type?: string; principalId?: string } | undefined;
  return identity?.type === "Service" && identity.principalId === "dynamodb.amazonaws.com" ? DeletionKind.ttl : DeletionKind.user;
}

/** ApproximateCreationDateTime (epoch seconds, maybe fractional) → ISO-8601 UTC with ms. */
export function deletedAtOf(record: DynamoDBRecord): string {
  const raw = record.dynamodb?.ApproximateCreationDateTime as number | string | undefined;
  const ms = typeof raw === "number" ? Math.round(raw * 1000) : raw !== undefined ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(`stream record ${record.eventID ?? "?"} has no ApproximateCreationDateTime`);
  return new Date(ms).toISOString();
}

/** The key attributes in schema order (partition, sort). */
export function orderedKeys(keys: JsonItem, schema: KeySchema | undefined): KeyPart[] {
  const names = Object.keys(keys);
  let order: string[];
  if (names.length === 1) order = names;
  else if (schema) order = [schema.partitionKey.name, ...(schema.sortKey ? [schema.sortKey.name] : [])];
  else throw invalid(`the item has ${names.length} key attributes and the table's key schema is unknown`);
  return order.map((name) => {
    const value = keys[name];
    if (!value) throw invalid(`key attribute "${name}" is missing from the stream record's Keys`);
    return { name, value: keyText(value) };
  });
}

/**
 * Builds the archive object of one REMOVE record. `schema` is needed only when the item has a
 * sort key (to put the partition key first). Same record → same object key, always.
 */
export function toArchiveObject(record: DynamoDBRecord, schema: KeySchema | undefined, now: Date = new Date()): ArchiveObject {
  if (record.eventName !== "REMOVE")
    throw invalid(`stream record ${record.eventID ?? "?"} is ${record.eventName ?? "of no kind"}, not REMOVE`);
  if (!record.eventID) throw invalid("stream record without an eventID");
  const keys = record.dynamodb?.Keys as JsonItem | undefined;
  if (!keys || Object.keys(keys).length === 0) throw invalid(`stream record ${record.eventID} has no Keys`);
  if (!record.dynamodb?.OldImage) {
    throw invalid(`stream record ${record.eventID} has no OldImage (stream view type ${record.dynamodb?.StreamViewType ?? "unknown"})`);
  }
  const table = tableFromStreamArn(record.eventSourceARN);
  const parts = orderedKeys(keys, schema);
  const deletedAt = deletedAtOf(record);
  const orderedKeyJson: JsonItem = {};
  for (const part of parts) orderedKeyJson[part.name] = keys[part.name] as JsonItem[string];
  return {
    objectKey: archiveObjectKey(table, parts, deletedAt, record.eventID),
    body: {
      schemaVersion: ARCHIVE_SCHEMA_VERSION,
      table,
      keys: orderedKeyJson,
      deletedAt,
      deletionKind: deletionKindOf(record),
      archivedAt: now.toISOString(),
      record,
    },
  };
}
