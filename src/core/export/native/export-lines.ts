/**
 * Reads DynamoDB export data files (DYNAMODB_JSON, one JSON object per line) into the item maps
 * the formatter takes. Shapes as documented in "DynamoDB table export output format"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html):
 * a full export writes `{"Item": {...}}`; an incremental export writes
 * `{"Metadata": {"WriteTimeMicros": n}, "Keys": {...}, "NewImage": {...}, "OldImage": {...}}`,
 * where a deleted item has no `NewImage`.
 */
import { gunzipSync } from "node:zlib";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

type Item = Record<string, AttributeValue>;

/** One line of an export data file, as far as the reader needs it. */
export interface ExportLine {
  /** The item's identity: its key attributes as canonical JSON. */
  key: string;
  /** Write time in microseconds (incremental only; 0 in a full export). */
  writeTimeMicros: number;
  /** The item as it stood at the end of the export period; undefined when it was deleted. */
  item: Item | undefined;
}

/** Parses one non-empty line of a DYNAMODB_JSON data file; `keyNames` are the table's key attributes. */
export function parseExportLine(line: string, keyNames: readonly string[]): ExportLine {
  const parsed = JSON.parse(line) as {
    Item?: Item;
    Keys?: Item;
    NewImage?: Item;
    Metadata?: { WriteTimeMicros?: number };
  };
  if (parsed.Item) return { key: keyOf(parsed.Item, keyNames), writeTimeMicros: 0, item: parsed.Item };
  if (!parsed.Keys) throw new Error(`export line has neither Item nor Keys: ${line.slice(0, 120)}`);
  return {
    key: keyOf(parsed.Keys, keyNames),
    writeTimeMicros: Number(parsed.Metadata?.WriteTimeMicros ?? 0),
    item: parsed.NewImage,
  };
}

function keyOf(item: Item, keyNames: readonly string[]): string {
  return JSON.stringify(keyNames.map((name) => item[name] ?? null));
}

/**
 * The items an export's lines leave standing: one per key, the latest write wins (overlapping
 * incremental windows repeat a key), deletions drop the key. Order: first appearance of each key.
 */
export function latestItems(lines: Iterable<ExportLine>): Item[] {
  const latest = new Map<string, ExportLine>();
  for (const line of lines) {
    const seen = latest.get(line.key);
    if (!seen || line.writeTimeMicros >= seen.writeTimeMicros) latest.set(line.key, line);
  }
  const items: Item[] = [];
  for (const line of latest.values()) if (line.item) items.push(line.item);
  return items;
}

/** Every line of one gzipped data file (`data/*.json.gz`; moto names it `data/*.gz`). */
export function readDataFile(gzipped: Uint8Array, keyNames: readonly string[]): ExportLine[] {
  const text = gunzipSync(gzipped).toString("utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => parseExportLine(line, keyNames));
}
