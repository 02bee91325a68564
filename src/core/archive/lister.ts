/**
 * Reading the archive: which versions exist for a table, an item, a time range, a kind.
 * Works from the bucket alone (the archived table may no longer exist).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { mapLimit } from "../concurrency";
import { normalizeDynamoNumber } from "../dynamo-number";
import { ErrorCode, notFoundError, TraceError, toTraceError, usageError } from "../errors";
import type { ArchiveBody, DeletionKind } from "./archive-object";
import { keyText } from "./dynamo-json";
import { type ArchiveObjectRef, candidatePrefixes, type KeyPart, parseArchiveObjectKey, SHORT_MARK, tablePrefix } from "./object-key";

export interface ArchiveStore {
  s3: Pick<S3Client, "send">;
  bucket: string;
  signal?: AbortSignal | undefined;
}

export interface ArchiveVersion extends ArchiveObjectRef {
  deletionKind?: DeletionKind;
  size?: number;
  body?: ArchiveBody;
}

export interface ListQuery {
  table: string;
  /** Items whose key attributes include all of these (exact values). */
  keys?: readonly KeyPart[];
  since?: Date | undefined;
  until?: Date | undefined;
  kind?: DeletionKind | undefined;
  /** Read each object (for its kind and body); listing alone gives keys and times. Default true. */
  readBodies?: boolean;
  concurrency?: number;
  /** The archive's key attributes when the caller has read them already (orderKeyParts), so they are not read twice. */
  archived?: ArchivedKeys;
}

/** The key attributes of a table's archive: the partition key's name and each key attribute's type. */
export interface ArchivedKeys {
  partition: string;
  /** DynamoDB type of each key attribute (S, N or B), as the archived bodies record it. */
  types: Record<string, string>;
}

/**
 * The key attributes of a table's archive, read from its first object's body (which names the
 * item's keys in DynamoDB JSON, partition key first): one listing of one key and one read.
 * Undefined when nothing is archived.
 */
export async function archivedKeys(store: ArchiveStore, table: string): Promise<ArchivedKeys | undefined> {
  let first: string | undefined;
  try {
    const page = await store.s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: tablePrefix(table), MaxKeys: 1 }), {
      abortSignal: store.signal,
    });
    first = page.Contents?.[0]?.Key;
  } catch (error) {
    throw toTraceError(error, `bucket ${store.bucket}`);
  }
  if (!first) return undefined;
  const keys = (await readArchiveBody(store, first)).keys ?? {};
  const partition = Object.keys(keys)[0];
  if (partition === undefined) return undefined;
  const types = Object.fromEntries(Object.entries(keys).map(([name, value]) => [name, Object.keys(value as object)[0] ?? "S"]));
  return { partition, types };
}

/**
 * The typed key values as DynamoDB stores them: a number key typed `2.0` or `1e2` is the `2` or
 * `100` that DynamoDB normalised it to (and the archive's object keys hold), so it is found.
 */
export function storedKeyParts(keys: readonly KeyPart[], types: Record<string, string>): KeyPart[] {
  return keys.map((k) => (types[k.name] === "N" ? { name: k.name, value: normalizeDynamoNumber(k.value) } : k));
}

/**
 * Orders the given key parts partition key first, in their stored form, and returns them with the
 * archive's key attributes it read; fails when nothing is archived or the partition key is missing.
 */
export async function orderKeyParts(
  store: ArchiveStore,
  table: string,
  typed: readonly KeyPart[],
): Promise<{ keys: KeyPart[]; archived: ArchivedKeys }> {
  const archived = await archivedKeys(store, table);
  if (!archived) {
    throw notFoundError(
      `nothing is archived for table "${table}" in bucket ${store.bucket}`,
      "check --table (the physical table name) and --bucket / --env",
    );
  }
  const { partition } = archived;
  const keys = storedKeyParts(typed, archived.types);
  const first = keys.find((k) => k.name === partition);
  if (!first) {
    throw usageError(
      `the archive of table "${table}" is keyed by its partition key "${partition}", which no --key names`,
      `add --key ${partition}=<value>`,
    );
  }
  return { keys: [first, ...keys.filter((k) => k !== first)], archived };
}

const matchesKeys = (ref: ArchiveObjectRef, keys: readonly KeyPart[]) =>
  keys.every((k) => ref.keys.some((r) => r.name === k.name && r.value === k.value));

/** The key attributes an archived body names (DynamoDB JSON, partition key first) as text. */
export function bodyKeyParts(body: ArchiveBody): KeyPart[] {
  return Object.entries(body.keys ?? {}).map(([name, value]) => ({ name, value: keyText(value) }));
}

/** Reads and parses one archive object. */
export async function readArchiveBody(store: ArchiveStore, objectKey: string): Promise<ArchiveBody> {
  try {
    const out = await store.s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: objectKey }), { abortSignal: store.signal });
    const text = (await out.Body?.transformToString("utf8")) ?? "";
    return JSON.parse(text) as ArchiveBody;
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new TraceError(ErrorCode.failed, `archive object ${objectKey} is not valid JSON`, { cause: error });
    throw toTraceError(error, `archive object s3://${store.bucket}/${objectKey}`);
  }
}

/**
 * Lists archived versions matching the query, oldest first. With `readBodies` (default) each
 * object is read (bounded concurrency) so versions carry their kind and body; objects under a
 * short key segment are always read, since only their body names their key.
 */
export async function listArchive(store: ArchiveStore, query: ListQuery): Promise<ArchiveVersion[]> {
  let keys = query.keys ?? [];
  let prefixes = [tablePrefix(query.table)];
  if (keys.length > 0) {
    const archived = query.archived ?? (await archivedKeys(store, query.table));
    if (!archived) return [];
    keys = storedKeyParts(keys, archived.types);
    const pk = keys.find((k) => k.name === archived.partition);
    if (pk) prefixes = candidatePrefixes(query.table, [pk]);
  }
  const refs: ArchiveVersion[] = [];
  try {
    for (const prefix of prefixes) {
      let token: string | undefined;
      do {
        const page = await store.s3.send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }), {
          abortSignal: store.signal,
        });
        for (const object of page.Contents ?? []) {
          const ref = object.Key ? parseArchiveObjectKey(object.Key) : undefined;
          if (!ref || (!ref.shortKey && !matchesKeys(ref, keys))) continue;
          if (query.since && ref.deletedAt < query.since.toISOString()) continue;
          if (query.until && ref.deletedAt >= query.until.toISOString()) continue;
          refs.push({ ...ref, ...(object.Size !== undefined ? { size: object.Size } : {}) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
  } catch (error) {
    throw toTraceError(error, `bucket ${store.bucket}`);
  }
  const readAll = query.readBodies !== false || query.kind !== undefined;
  await mapLimit(
    refs.filter((ref) => readAll || ref.shortKey || ref.eventId.startsWith(SHORT_MARK)),
    query.concurrency ?? 16,
    async (ref) => {
      ref.body = await readArchiveBody(store, ref.objectKey);
      ref.deletionKind = ref.body.deletionKind;
      if (ref.shortKey) ref.keys = bodyKeyParts(ref.body);
      if (ref.eventId.startsWith(SHORT_MARK) && ref.body.record?.eventID) ref.eventId = ref.body.record.eventID;
    },
  );
  const selected = refs.filter((r) => (!query.kind || r.deletionKind === query.kind) && (!r.shortKey || matchesKeys(r, keys)));
  return selected.sort(compareVersions);
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Stream sequence numbers are decimal strings of any length; compare them as numbers. */
function compareSequence(a: string | undefined, b: string | undefined): number {
  if (!a || !b) return 0;
  return a.length !== b.length ? a.length - b.length : compareText(a, b);
}

/**
 * Oldest first. Stream times have one-second precision, so two deletions of one item within a
 * second tie on deletedAt; the stream sequence number (monotonic within a shard, and an item's
 * records share one) settles it when the bodies were read.
 */
export function compareVersions(a: ArchiveVersion, b: ArchiveVersion): number {
  return (
    compareText(a.deletedAt, b.deletedAt) ||
    compareSequence(a.body?.record?.dynamodb?.SequenceNumber, b.body?.record?.dynamodb?.SequenceNumber) ||
    compareText(a.versionId, b.versionId)
  );
}

/**
 * Which item a version belongs to: its key attributes (names and values, in order). Not its
 * folder, since one item may have versions under both the readable and the short folder.
 */
export const itemIdentity = (ref: ArchiveObjectRef) => JSON.stringify(ref.keys.map((k) => [k.name, k.value]));
