/**
 * The audit contract: from one Configuration stream record to the entries it puts in the Audit
 * table. Pure (no clock, no randomness, no I/O), so a replayed record yields the same entries
 * with the same ids, and the writer's `attribute_not_exists(id)` turns the replay into a no-op.
 */
import { createHash } from "node:crypto";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { ErrorCode, TraceError } from "../errors";
import { type ImageValue, type Item, sameValue, toSdkItem } from "./attribute-values";

/** One Audit table entry, values in DynamoDB's own types. */
export interface AuditEntry {
  id: string;
  itemKey: string;
  modificationTime: string;
  updatedAttribute?: string;
  oldValue?: AttributeValue;
  newValue?: AttributeValue;
}

/** What the function needs of a stream record: Lambda's `DynamoDBRecord`, or the Streams API's. */
export interface AuditableRecord {
  eventID?: string | undefined;
  eventName?: string | undefined;
  dynamodb?:
    | {
        ApproximateCreationDateTime?: number | Date | string | undefined;
        Keys?: Record<string, ImageValue> | undefined;
        NewImage?: Record<string, ImageValue> | undefined;
        OldImage?: Record<string, ImageValue> | undefined;
        SequenceNumber?: string | undefined;
      }
    | undefined;
}

/** The Configuration table's partition key. */
export const CONFIGURATION_KEY_ATTRIBUTE = "key";

/**
 * A deterministic id in UUID version-4 form: the first 128 bits of SHA-256 over the stream
 * record's eventID and the attribute name, with the version (4) and variant (10xx) bits set.
 * Same record and attribute → same id, so a replay cannot create a second entry.
 */
export function entryId(eventID: string, attribute = ""): string {
  const bytes = createHash("sha256")
    .update(JSON.stringify([eventID, attribute]))
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The record's creation time (epoch seconds in Lambda events, a Date from the Streams API) as ISO-8601 UTC. */
export function recordTime(record: AuditableRecord): string {
  const raw = record.dynamodb?.ApproximateCreationDateTime;
  const date = typeof raw === "number" ? new Date(raw * 1000) : raw instanceof Date ? raw : raw ? new Date(raw) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new TraceError(ErrorCode.failed, `stream record ${record.eventID ?? "?"} has no readable ApproximateCreationDateTime`, {
      hint: "the modification time is taken from the stream record, never from the clock",
    });
  }
  return date.toISOString();
}

function itemKeyOf(record: AuditableRecord, keyAttribute: string): string {
  const keys = record.dynamodb?.Keys ?? {};
  const names = Object.keys(keys);
  const value = (keys[keyAttribute] ?? (names.length === 1 ? keys[names[0] as string] : undefined)) as Record<string, unknown> | undefined;
  if (typeof value?.S === "string") return value.S;
  if (typeof value?.N === "string") return value.N;
  throw new TraceError(ErrorCode.failed, `stream record ${record.eventID ?? "?"} has no string or number key "${keyAttribute}"`, {
    hint: `the audited table's partition key must be "${keyAttribute}"`,
  });
}

function image(record: AuditableRecord, which: "NewImage" | "OldImage"): Item {
  const value = record.dynamodb?.[which];
  if (!value) {
    throw new TraceError(ErrorCode.failed, `${record.eventName} stream record ${record.eventID ?? "?"} carries no ${which}`, {
      hint: "the Configuration table's stream must use StreamViewType NEW_AND_OLD_IMAGES",
    });
  }
  return toSdkItem(value);
}

/**
 * The audit entries one stream record makes:
 * - INSERT → one entry, `newValue` the whole new item;
 * - MODIFY → one entry per top-level attribute added, removed or changed (`oldValue` absent when
 *   added, `newValue` absent when removed), sorted by attribute name; none when nothing changed;
 * - REMOVE → one entry, `oldValue` the whole old item.
 * `modificationTime` comes from the record; ids are derived from the record's eventID.
 */
export function auditEntries(record: AuditableRecord, keyAttribute = CONFIGURATION_KEY_ATTRIBUTE): AuditEntry[] {
  const eventID = record.eventID;
  if (!eventID) throw new TraceError(ErrorCode.failed, "stream record has no eventID");
  const base = { itemKey: itemKeyOf(record, keyAttribute), modificationTime: recordTime(record) };
  switch (record.eventName) {
    case "INSERT":
      return [{ id: entryId(eventID), ...base, newValue: { M: image(record, "NewImage") } }];
    case "REMOVE":
      return [{ id: entryId(eventID), ...base, oldValue: { M: image(record, "OldImage") } }];
    case "MODIFY": {
      const before = image(record, "OldImage");
      const after = image(record, "NewImage");
      const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
      return names
        .filter((name) => !sameValue(before[name], after[name]))
        .map((name) => ({
          id: entryId(eventID, name),
          ...base,
          updatedAttribute: name,
          ...(before[name] !== undefined ? { oldValue: before[name] } : {}),
          ...(after[name] !== undefined ? { newValue: after[name] } : {}),
        }));
    }
    default:
      throw new TraceError(ErrorCode.failed, `stream record ${eventID} has an unknown eventName ${JSON.stringify(record.eventName)}`);
  }
}

/** The Audit table item for an entry (absent values are absent attributes, never NULL). */
export function toAuditItem(entry: AuditEntry): Item {
  const item: Item = {
    id: { S: entry.id },
    itemKey: { S: entry.itemKey },
    modificationTime: { S: entry.modificationTime },
  };
  if (entry.updatedAttribute !== undefined) item.updatedAttribute = { S: entry.updatedAttribute };
  if (entry.oldValue !== undefined) item.oldValue = entry.oldValue;
  if (entry.newValue !== undefined) item.newValue = entry.newValue;
  return item;
}

/** Reads an Audit table item back as an entry. */
export function fromAuditItem(item: Item): AuditEntry {
  const entry: AuditEntry = {
    id: item.id?.S ?? "",
    itemKey: item.itemKey?.S ?? "",
    modificationTime: item.modificationTime?.S ?? "",
  };
  if (item.updatedAttribute?.S !== undefined) entry.updatedAttribute = item.updatedAttribute.S;
  if (item.oldValue !== undefined) entry.oldValue = item.oldValue;
  if (item.newValue !== undefined) entry.newValue = item.newValue;
  return entry;
}

/** How an entry changed the item, derived from its shape (the contract stores no kind). */
export const ChangeKind = {
  created: "created",
  added: "added",
  changed: "changed",
  removed: "removed",
  deleted: "deleted",
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export function changeKind(entry: AuditEntry): ChangeKind {
  if (entry.updatedAttribute === undefined) return entry.newValue !== undefined ? ChangeKind.created : ChangeKind.deleted;
  if (entry.oldValue === undefined) return ChangeKind.added;
  if (entry.newValue === undefined) return ChangeKind.removed;
  return ChangeKind.changed;
}
