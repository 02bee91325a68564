/**
 * Comparing DynamoDB items as DynamoDB means them: the same attributes with the same types and
 * values, whatever the order of a map's keys or a set's members (DynamoDB returns set members in
 * no documented order) and whatever the notation a number was written in (`2.0` is `2`). An item
 * is reduced to a canonical text (types kept: the string "5" is not the number 5, a binary is not
 * the string of its base64) and that text to a short digest, so a drill can hold one digest per
 * key instead of the items.
 */
import { createHash } from "node:crypto";
import type { AttributeValue, KeySchemaElement } from "@aws-sdk/client-dynamodb";
import { normalizeDynamoNumber } from "../dynamo-number";
import { compareDecimal } from "../export/cells";

export type Item = Record<string, AttributeValue>;

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** The canonical, type-keeping text of one value: DynamoDB JSON with sorted map keys and set members. */
export function canonicalValue(value: AttributeValue): string {
  if (value.S !== undefined) return `{"S":${JSON.stringify(value.S)}}`;
  if (value.N !== undefined) return `{"N":"${normalizeDynamoNumber(value.N)}"}`;
  if (value.B !== undefined) return `{"B":"${base64(value.B)}"}`;
  if (value.BOOL !== undefined) return `{"BOOL":${value.BOOL}}`;
  if (value.NULL !== undefined) return `{"NULL":true}`;
  if (value.SS !== undefined) return `{"SS":${JSON.stringify([...value.SS].sort(byCodeUnit))}}`;
  if (value.NS !== undefined) return `{"NS":${JSON.stringify(value.NS.map(normalizeDynamoNumber).sort(compareDecimal))}}`;
  if (value.BS !== undefined) return `{"BS":${JSON.stringify(value.BS.map(base64).sort(byCodeUnit))}}`;
  if (value.L !== undefined) return `{"L":[${value.L.map(canonicalValue).join(",")}]}`;
  if (value.M !== undefined) return `{"M":${canonicalItem(value.M)}}`;
  return "{}";
}

/** The canonical text of an item: attributes sorted by name (UTF-16 code units), values as canonicalValue. */
export function canonicalItem(item: Item): string {
  const names = Object.keys(item).sort(byCodeUnit);
  return `{${names.map((n) => `${JSON.stringify(n)}:${canonicalValue(item[n] as AttributeValue)}`).join(",")}}`;
}

/** 128 bits of the canonical text's sha256, base64 (22 characters): equal items, equal digests. */
export function itemDigest(item: Item): string {
  return createHash("sha256").update(canonicalItem(item)).digest("base64").slice(0, 22);
}

/** The table's key attributes, hash key first (DescribeTable's KeySchema). */
export function keyNames(schema: readonly KeySchemaElement[] | undefined): string[] {
  const hash = schema?.find((k) => k.KeyType === "HASH")?.AttributeName;
  const range = schema?.find((k) => k.KeyType === "RANGE")?.AttributeName;
  return [hash, range].filter((n): n is string => n !== undefined);
}

/** The key of an item as one text (a map key, and what reports show): `{"id":"A-1"}`. */
export function keyText(item: Item, names: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(names.map((n) => [n, plainValue(item[n])])));
}

/** The key text back as DynamoDB's key (for GetItem). */
export function keyFromText(text: string, schema: readonly { name: string; type: string }[]): Item {
  const plain = JSON.parse(text) as Record<string, string>;
  const key: Item = {};
  for (const { name, type } of schema) {
    const value = plain[name] as string;
    key[name] = type === "N" ? { N: value } : type === "B" ? { B: Buffer.from(value, "base64") } : { S: value };
  }
  return key;
}

/** A key attribute's value as text (keys are S, N or B). */
function plainValue(value: AttributeValue | undefined): string | null {
  if (value === undefined) return null;
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return normalizeDynamoNumber(value.N);
  if (value.B !== undefined) return base64(value.B);
  return canonicalValue(value);
}

/** The top-level attributes whose values differ between two images of an item (added and removed ones included), sorted. */
export function differingAttributes(a: Item, b: Item): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  const differ = [...names].filter((n) => {
    const x = a[n];
    const y = b[n];
    if (x === undefined || y === undefined) return x !== y;
    return canonicalValue(x) !== canonicalValue(y);
  });
  return differ.sort(byCodeUnit);
}
