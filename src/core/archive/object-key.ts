/**
 * The archive's object layout (DESIGN.md, Archive contract):
 *   archive/<table>/<key-name>=<value>[/<key-name>=<value>]/<deletedAt>_<eventID>.json
 * partition key first, then sort key. Names and values are percent-encoded with
 * encodeURIComponent, so `/`, `#`, `=`, `%`, spaces and non-ASCII never break a segment and
 * decoding gives back the exact text. `deletedAt` in the key is ISO-8601 basic format in UTC with
 * milliseconds (20261123T163023.000Z): fixed width, so keys sort by time; no `:` (which some
 * tools and file systems dislike when objects are downloaded).
 *
 * S3 takes object keys of at most 1024 bytes (UTF-8), while a DynamoDB partition key may be 2048
 * bytes and a sort key 1024, and percent-encoding can triple them. So the key segments share a
 * fixed budget (KEY_PART_BUDGET, worked out below); a segment that would push them past it takes a
 * short form, `=sha256=<64 hex>`, the SHA-256 of the attribute's name and value text. The full
 * key stays in the object's body. Every encoded character is ASCII, so bytes = characters here.
 */
import { createHash } from "node:crypto";
import { ErrorCode, TraceError, usageError } from "../errors";

export const ARCHIVE_ROOT = "archive";

/** S3's limit on an object key: 1024 bytes of UTF-8. The emulator does not enforce it. */
export const S3_MAX_KEY_BYTES = 1024;
/** DynamoDB table names: 3 to 255 characters of [a-zA-Z0-9_.-], which percent-encoding keeps as is. */
export const MAX_TABLE_NAME_BYTES = 255;
/**
 * Room kept for the encoded eventID. The DynamoDB Streams API declares no length for `eventID`
 * (a plain String in the API reference and the service model); the IDs AWS sends and documents
 * are 32 hex characters. A longer one is not trusted to fit: the file name then carries its
 * SHA-256 instead (see archiveObjectKey), so the 1024 bytes hold for any eventID.
 */
export const MAX_EVENT_ID_BYTES = 128;
/** `20261123T163023.000Z` */
const TIMESTAMP_BYTES = 20;
/**
 * The bytes left for the key segments (each with its trailing `/`) once the worst case of the
 * fixed parts is taken: `archive/` 8 + table 255 + `/` 1 + timestamp 20 + `_` 1 + eventID 128 +
 * `.json` 5 = 418, so 1024 − 418 = 606.
 */
export const KEY_PART_BUDGET =
  S3_MAX_KEY_BYTES - (`${ARCHIVE_ROOT}/`.length + MAX_TABLE_NAME_BYTES + 1 + TIMESTAMP_BYTES + 1 + MAX_EVENT_ID_BYTES + ".json".length);

/**
 * Marks a short segment (or a short eventID in the file name). A readable segment starts with its
 * encoded attribute name, which is never empty and never holds a raw `=` (encodeURIComponent
 * escapes it), so nothing readable can be mistaken for a short form.
 */
export const SHORT_MARK = "=sha256=";

/** One key attribute as text: S as is, N as its decimal text, B as base64. */
export interface KeyPart {
  name: string;
  value: string;
}

export interface ArchiveObjectRef {
  table: string;
  /**
   * The key attributes. For an object whose key holds a short segment these are unknown from the
   * object key alone (empty until the body has been read: see `shortKey`).
   */
  keys: KeyPart[];
  /** How many key segments the object key has (one per key attribute). */
  keySegments: number;
  /** True when at least one key segment is in the short form: the keys come from the body. */
  shortKey: boolean;
  /** Extended ISO-8601 UTC, e.g. 2026-11-23T16:30:23.000Z. */
  deletedAt: string;
  /** The stream record's eventID; for a short eventID, `=sha256=<hex>` until the body is read. */
  eventId: string;
  /** `<deletedAt-in-key>_<eventID as in the key>`: the version id the CLI shows and accepts. */
  versionId: string;
  objectKey: string;
}

const encode = (text: string) => encodeURIComponent(text);
const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * SHA-256 (lowercase hex) of a canonical encoding of the texts: each as a netstring,
 * `<UTF-8 byte length>:<text>,`, so no two different lists encode the same.
 */
export function canonicalHash(texts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const text of texts) hash.update(`${bytes(text)}:${text},`, "utf8");
  return hash.digest("hex");
}

/** `archive/<table>/` */
export function tablePrefix(table: string): string {
  return `${ARCHIVE_ROOT}/${encode(table)}/`;
}

/** `<name>=<value>/`, percent-encoded: today's readable segment. */
export function readableSegment(part: KeyPart): string {
  return `${encode(part.name)}=${encode(part.value)}/`;
}

/** `=sha256=<sha256 of the netstrings of name and value>/`: 73 bytes whatever the key. */
export function shortSegment(part: KeyPart): string {
  return `${SHORT_MARK}${canonicalHash([part.name, part.value])}/`;
}

/**
 * The key segments an object of this key is written under. Left to right, each segment is
 * readable when it still fits the budget after the segments before it, and short otherwise. So a
 * key whose readable segments fit KEY_PART_BUDGET keeps today's layout byte for byte, and the
 * partition key's segment depends on the partition key alone (listing by it finds every sort key).
 */
export function keySegments(keys: readonly KeyPart[]): string[] {
  const segments: string[] = [];
  let used = 0;
  for (const part of keys) {
    const readable = readableSegment(part);
    const segment = used + readable.length <= KEY_PART_BUDGET ? readable : shortSegment(part);
    segments.push(segment);
    used += segment.length;
  }
  return segments;
}

/** `archive/<table>/<segment>[<segment>]`: the folder holding every version of one item, as written now. */
export function keyPrefix(table: string, keys: readonly KeyPart[]): string {
  return `${tablePrefix(table)}${keySegments(keys).join("")}`;
}

/** The folder in today's readable layout whatever its length (archives written before the short form). */
export function readableKeyPrefix(table: string, keys: readonly KeyPart[]): string {
  return `${tablePrefix(table)}${keys.map(readableSegment).join("")}`;
}

/** The shortest file name: `<timestamp>_<one-character eventID>.json`. */
const MIN_FILE_BYTES = TIMESTAMP_BYTES + 1 + 1 + ".json".length;

/**
 * The folders where versions of this key may lie: the one written now and, when it differs and
 * could hold an object at all, the readable one (written before the short form existed, for keys
 * past the budget but within S3's limit, or against the emulator).
 */
export function candidatePrefixes(table: string, keys: readonly KeyPart[]): string[] {
  const current = keyPrefix(table, keys);
  const readable = readableKeyPrefix(table, keys);
  return readable !== current && readable.length + MIN_FILE_BYTES <= S3_MAX_KEY_BYTES ? [current, readable] : [current];
}

/** 2026-11-23T16:30:23.000Z → 20261123T163023.000Z */
export function compactTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw usageError(`not a timestamp: "${iso}"`);
  return date.toISOString().replace(/[-:]/g, "");
}

/** 20261123T163023.000Z → 2026-11-23T16:30:23.000Z */
export function expandTimestamp(compact: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/.exec(compact);
  if (!m) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
}

/** The eventID as the file name carries it: encoded, or its SHA-256 when longer than reserved. */
function eventIdSegment(eventId: string): string {
  const encoded = encode(eventId);
  return encoded.length <= MAX_EVENT_ID_BYTES ? encoded : `${SHORT_MARK}${canonicalHash([eventId])}`;
}

/** The object key of one deletion: never more than S3's 1024 bytes for a legal table name. */
export function archiveObjectKey(table: string, keys: readonly KeyPart[], deletedAt: string, eventId: string): string {
  if (keys.length === 0) throw usageError(`no key attributes for an item of table ${table}`);
  const objectKey = `${keyPrefix(table, keys)}${compactTimestamp(deletedAt)}_${eventIdSegment(eventId)}.json`;
  if (bytes(objectKey) > S3_MAX_KEY_BYTES) {
    // Only a table name longer than DynamoDB allows gets here; say so rather than let S3 refuse.
    throw new TraceError(ErrorCode.failed, `archive object key for table "${table}" would be ${bytes(objectKey)} bytes`, {
      hint: `S3 takes at most ${S3_MAX_KEY_BYTES}; table names longer than ${MAX_TABLE_NAME_BYTES} characters are not DynamoDB's`,
    });
  }
  return objectKey;
}

/** Parses an object key of the archive; undefined for anything else under the bucket. */
export function parseArchiveObjectKey(objectKey: string): ArchiveObjectRef | undefined {
  const parts = objectKey.split("/");
  if (parts.length < 4 || parts[0] !== ARCHIVE_ROOT) return undefined;
  const file = parts[parts.length - 1] ?? "";
  const m = /^(\d{8}T\d{6}\.\d{3}Z)_(.+)\.json$/.exec(file);
  if (!m?.[1] || !m[2]) return undefined;
  const deletedAt = expandTimestamp(m[1]);
  if (!deletedAt) return undefined;
  try {
    const keys: KeyPart[] = [];
    let shortKey = false;
    const segments = parts.slice(2, -1);
    for (const segment of segments) {
      if (segment.startsWith(SHORT_MARK)) {
        if (!/^[0-9a-f]{64}$/.test(segment.slice(SHORT_MARK.length))) return undefined;
        shortKey = true;
        continue;
      }
      const eq = segment.indexOf("=");
      if (eq <= 0) return undefined;
      keys.push({ name: decodeURIComponent(segment.slice(0, eq)), value: decodeURIComponent(segment.slice(eq + 1)) });
    }
    const eventId = m[2].startsWith(SHORT_MARK) ? m[2] : decodeURIComponent(m[2]);
    return {
      table: decodeURIComponent(parts[1] ?? ""),
      keys: shortKey ? [] : keys,
      keySegments: segments.length,
      shortKey,
      deletedAt,
      eventId,
      versionId: `${m[1]}_${eventId}`,
      objectKey,
    };
  } catch {
    // A malformed percent-escape: not one of ours.
    return undefined;
  }
}

/** Parses `--key name=value` (the first `=` separates; the value may contain more). */
export function parseKeyOption(text: string): KeyPart {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw usageError(`--key "${text}" is not name=value`, 'pass each key attribute as --key name=value, e.g. --key id="A#1/x"');
  }
  return { name: text.slice(0, eq), value: text.slice(eq + 1) };
}
