/**
 * The archive's object layout (DESIGN.md, Archive contract):
 *   archive/<table>/<key-name>=<value>[/<key-name>=<value>]/<deletedAt>_<eventID>.json
 * partition key first, then sort key. Names and values are percent-encoded with
 * encodeURIComponent, so `/`, `#`, `=`, `%`, spaces and non-ASCII never break a segment and
 * decoding gives back the exact text. `deletedAt` in the key is ISO-8601 basic format in UTC with
 * milliseconds (20261123T163023.000Z): fixed width, so keys sort by time; no `:` (which some
 * tools and file systems dislike when objects are downloaded).
 */
import { usageError } from "../errors";

export const ARCHIVE_ROOT = "archive";

/** One key attribute as text: S as is, N as its decimal text, B as base64. */
export interface KeyPart {
  name: string;
  value: string;
}

export interface ArchiveObjectRef {
  table: string;
  keys: KeyPart[];
  /** Extended ISO-8601 UTC, e.g. 2026-11-23T16:30:23.000Z. */
  deletedAt: string;
  eventId: string;
  /** `<deletedAt-in-key>_<eventID>`: the version id the CLI shows and accepts. */
  versionId: string;
  objectKey: string;
}

const encode = (text: string) => encodeURIComponent(text);

/** `archive/<table>/` */
export function tablePrefix(table: string): string {
  return `${ARCHIVE_ROOT}/${encode(table)}/`;
}

/** `archive/<table>/<pk>=<v>/[<sk>=<v>/]`: the folder holding every version of one item. */
export function keyPrefix(table: string, keys: readonly KeyPart[]): string {
  return `${tablePrefix(table)}${keys.map((k) => `${encode(k.name)}=${encode(k.value)}/`).join("")}`;
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

/** The object key of one deletion. */
export function archiveObjectKey(table: string, keys: readonly KeyPart[], deletedAt: string, eventId: string): string {
  if (keys.length === 0) throw usageError(`no key attributes for an item of table ${table}`);
  return `${keyPrefix(table, keys)}${compactTimestamp(deletedAt)}_${encode(eventId)}.json`;
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
    for (const segment of parts.slice(2, -1)) {
      const eq = segment.indexOf("=");
      if (eq <= 0) return undefined;
      keys.push({ name: decodeURIComponent(segment.slice(0, eq)), value: decodeURIComponent(segment.slice(eq + 1)) });
    }
    const eventId = decodeURIComponent(m[2]);
    return {
      table: decodeURIComponent(parts[1] ?? ""),
      keys,
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
