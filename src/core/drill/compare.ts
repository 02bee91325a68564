/**
 * The drill's comparison of a restored table with its source, item by item: one scan of the
 * source keeps a digest per key (the reference), one scan of the restored table checks each of its
 * items against it. What is left over is the difference: keys only in the source (`missing` from
 * the restore), keys only in the restore (`extra`), and keys whose items differ (`changed`).
 * Memory is one key and one 22-character digest per source item (docs/recovery.md measures it).
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { parallelScan } from "../export/scan";
import { differingAttributes, type Item, itemDigest, keyFromText, keyText } from "./items";

export type DifferenceKind = "missing" | "extra" | "changed";

/** One key whose restored item is not the source's. */
export interface Difference {
  /** The key as text, e.g. `{"id":"A-1"}`. */
  key: string;
  /** missing: in the source, not in the restore; extra: in the restore, not in the source; changed: in both, different. */
  kind: DifferenceKind;
  /** For `changed`: the top-level attributes that differ (added and removed ones included). */
  attributes?: string[];
  /** Why the difference is not a loss (a write after the restore point, a TTL expiry); absent when unexplained. */
  explained?: string;
}

export type Reference = Map<string, string>;

/** The key attributes and their types, from DescribeTable (KeySchema and AttributeDefinitions). */
export interface KeyShape {
  names: string[];
  schema: { name: string; type: string }[];
}

export interface ScanSide {
  dynamodb: Pick<DynamoDBClient, "send">;
  table: string;
  segments: number;
  signal: AbortSignal;
  /** Called with the running count of items read, for progress. */
  onProgress?: (read: number) => void;
}

/** Reads every item of the source, strongly consistent, and keeps its key and digest; returns them with the count. */
export async function readReference(
  side: ScanSide,
  keys: KeyShape,
  onItem?: (item: Item) => void,
): Promise<{ reference: Reference; count: number }> {
  const reference: Reference = new Map();
  let count = 0;
  await parallelScan(side.dynamodb, {
    table: side.table,
    segments: side.segments,
    signal: side.signal,
    consistentRead: true,
    onPage(items) {
      for (let item = items.shift(); item; item = items.shift()) {
        reference.set(keyText(item, keys.names), itemDigest(item));
        onItem?.(item);
        count++;
      }
      side.onProgress?.(count);
    },
  });
  return { reference, count };
}

/** What one pass over the restored table found. */
export interface Comparison {
  /** Items in the restored table. */
  restoredCount: number;
  /** Items of the restore identical to the reference. */
  identical: number;
  differences: Difference[];
}

/**
 * Scans the restored table and checks every item against the reference (consumed: a matched key is
 * removed, so what is left at the end is missing from the restore).
 */
export async function compareRestored(side: ScanSide, keys: KeyShape, reference: Reference): Promise<Comparison> {
  const differences: Difference[] = [];
  let restoredCount = 0;
  let identical = 0;
  await parallelScan(side.dynamodb, {
    table: side.table,
    segments: side.segments,
    signal: side.signal,
    onPage(items) {
      for (let item = items.shift(); item; item = items.shift()) {
        restoredCount++;
        const key = keyText(item, keys.names);
        const expected = reference.get(key);
        reference.delete(key);
        if (expected === undefined) differences.push({ key, kind: "extra" });
        else if (expected === itemDigest(item)) identical++;
        else differences.push({ key, kind: "changed" });
      }
      side.onProgress?.(restoredCount);
    },
  });
  for (const key of reference.keys()) differences.push({ key, kind: "missing" });
  reference.clear();
  return { restoredCount, identical, differences };
}

/** The current image of one key in a table (strongly consistent), or undefined when there is none. */
export async function readItem(
  dynamodb: Pick<DynamoDBClient, "send">,
  table: string,
  keys: KeyShape,
  key: string,
  signal: AbortSignal,
): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: table, Key: keyFromText(key, keys.schema), ConsistentRead: true }), {
    abortSignal: signal,
  });
  return Item;
}

/** Both images of a difference, read now: the source's and the restore's. */
export interface Images {
  source: Item | undefined;
  restored: Item | undefined;
}

/**
 * A difference re-read: when the restore now holds what the source holds now (both absent
 * included), the source was written between its reference read and the restore point, and the
 * difference is resolved (returned as null). Otherwise the difference with the attributes that
 * differ (for a changed item, named against the source's current image).
 */
export function recheck(difference: Difference, images: Images): Difference | null {
  const { source, restored } = images;
  const same = source === undefined ? restored === undefined : restored !== undefined && itemDigest(source) === itemDigest(restored);
  if (same) return null;
  if (source && restored) return { key: difference.key, kind: "changed", attributes: differingAttributes(source, restored) };
  return { key: difference.key, kind: source ? "missing" : "extra" };
}
