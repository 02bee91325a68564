/**
 * DynamoDB AttributeValues as the audit trail needs them: normalised from either a Lambda event
 * (binary as base64 text) or the Streams API (binary as bytes), compared by meaning (sets are
 * unordered, 1.50 equals 1.5), and turned into exact JSON or a short human rendering. Numbers are
 * never parsed into a JS `number`: their decimal text travels untouched.
 */

import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { ErrorCode, TraceError } from "../errors";
import { ExactNumber } from "../exact-json";

/** An item (or a map's content) in the SDK's wire shape. */
export type Item = Record<string, AttributeValue>;

/** What a stream image may hold: the SDK's shape, or Lambda's (binary as base64 text). */
export type ImageValue = AttributeValue | { [tag: string]: unknown };

const toBytes = (value: unknown): Uint8Array => {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return new Uint8Array(Buffer.from(value, "base64"));
  throw new TraceError(ErrorCode.failed, `a binary attribute value is neither bytes nor base64 text (${typeof value})`);
};

/**
 * Converts one value of a stream image to the SDK's AttributeValue, recursively. Every tag and
 * every number's text is kept; only binary changes representation (base64 text → bytes), because
 * the SDK base64-encodes bytes itself when it writes.
 */
export function toSdkValue(value: ImageValue): AttributeValue {
  const v = value as Record<string, unknown>;
  if (typeof v.S === "string") return { S: v.S };
  if (typeof v.N === "string") return { N: v.N };
  if (typeof v.BOOL === "boolean") return { BOOL: v.BOOL };
  if (v.NULL !== undefined) return { NULL: true };
  if (v.B !== undefined) return { B: toBytes(v.B) };
  if (Array.isArray(v.SS)) return { SS: [...(v.SS as string[])] };
  if (Array.isArray(v.NS)) return { NS: [...(v.NS as string[])] };
  if (Array.isArray(v.BS)) return { BS: (v.BS as unknown[]).map(toBytes) };
  if (Array.isArray(v.L)) return { L: (v.L as ImageValue[]).map(toSdkValue) };
  if (v.M !== undefined && typeof v.M === "object" && v.M !== null) return { M: toSdkItem(v.M as Record<string, ImageValue>) };
  throw new TraceError(ErrorCode.failed, `unknown DynamoDB attribute value ${JSON.stringify(Object.keys(v))}`, {
    hint: "the stream record is not DynamoDB JSON",
  });
}

/** Converts a whole stream image (NewImage / OldImage) to the SDK's shape. */
export function toSdkItem(image: Record<string, ImageValue>): Item {
  const item: Item = {};
  for (const [name, value] of Object.entries(image)) item[name] = toSdkValue(value);
  return item;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * The canonical text of a DynamoDB number, for comparisons: sign, significant digits and
 * exponent, so "1.50", "1.5" and "15E-1" compare equal. Pure string work: no precision lost.
 */
export function canonicalNumber(text: string): string {
  const match = DECIMAL.exec(text.trim());
  if (!match) return text;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  const digits = `${whole}${fraction}`;
  const firstNonZero = digits.search(/[1-9]/);
  if (firstNonZero < 0) return "0";
  const significant = digits.slice(firstNonZero).replace(/0+$/, "");
  // Position of the decimal point relative to the first significant digit.
  const pointAt = whole.length - firstNonZero + Number(exponent);
  return `${sign === "-" ? "-" : ""}0.${significant}e${pointAt}`;
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** The number's text as valid JSON number text, without losing a digit. */
export function jsonNumberText(text: string): string {
  if (JSON_NUMBER.test(text)) return text;
  const canonical = canonicalNumber(text);
  if (canonical === "0") return "0";
  const m = /^(-?)0\.(\d+)e(-?\d+)$/.exec(canonical);
  if (!m) throw new TraceError(ErrorCode.failed, `not a number: ${JSON.stringify(text)}`);
  const [, sign, digits = "", point] = m;
  return `${sign}0.${digits}e${point}`;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);
const sameSet = (a: readonly string[], b: readonly string[]) => {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
};
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** True when two values mean the same thing to DynamoDB (type and content). */
export function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.S !== undefined) return a.S === b.S;
  if (a.N !== undefined) return b.N !== undefined && canonicalNumber(a.N) === canonicalNumber(b.N);
  if (a.BOOL !== undefined) return a.BOOL === b.BOOL;
  if (a.NULL !== undefined) return b.NULL !== undefined;
  if (a.B !== undefined) return b.B !== undefined && sameBytes(a.B, b.B);
  if (a.SS !== undefined) return b.SS !== undefined && sameSet(a.SS, b.SS);
  if (a.NS !== undefined) return b.NS !== undefined && sameSet(a.NS.map(canonicalNumber), b.NS.map(canonicalNumber));
  if (a.BS !== undefined) return b.BS !== undefined && sameSet(a.BS.map(b64), b.BS.map(b64));
  if (a.L !== undefined) return b.L !== undefined && a.L.length === b.L.length && a.L.every((x, i) => sameValue(x, b.L?.[i]));
  if (a.M !== undefined) return b.M !== undefined && sameItem(a.M, b.M);
  return false;
}

/** True when two items (or maps) hold the same attributes with the same values. */
export function sameItem(a: Item, b: Item): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => name in b && sameValue(a[name], b[name]));
}

/** Plain JSON-like values, with numbers kept exact. */
export type PlainValue = null | boolean | string | ExactNumber | PlainValue[] | { [key: string]: PlainValue };

/**
 * The value as plain JSON data: numbers stay numbers (exact), strings strings, maps objects,
 * lists and sets arrays, binary base64 text.
 */
export function plainValue(value: AttributeValue): PlainValue {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return new ExactNumber(jsonNumberText(value.N));
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.B !== undefined) return b64(value.B);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map((n) => new ExactNumber(jsonNumberText(n)));
  if (value.BS !== undefined) return value.BS.map(b64);
  if (value.L !== undefined) return value.L.map(plainValue);
  if (value.M !== undefined) return plainItem(value.M);
  return null;
}

export function plainItem(item: Item): { [key: string]: PlainValue } {
  const out: { [key: string]: PlainValue } = {};
  for (const [name, value] of Object.entries(item)) out[name] = plainValue(value);
  return out;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const keyText = (key: string) => (IDENTIFIER.test(key) ? key : JSON.stringify(key));

/**
 * A short, readable rendering for people: strings quoted, numbers as written, maps as
 * `{a: 1, b: "x"}`, sets as `set["a", "b"]`, binary as its size. Long values are cut with `…`.
 */
export function formatValue(value: AttributeValue | undefined, maxLength = 120): string {
  const text = value === undefined ? "—" : render(value);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

function render(value: AttributeValue): string {
  if (value.S !== undefined) return JSON.stringify(value.S);
  if (value.N !== undefined) return value.N;
  if (value.BOOL !== undefined) return String(value.BOOL);
  if (value.NULL !== undefined) return "null";
  if (value.B !== undefined) return `<${value.B.length} bytes>`;
  if (value.SS !== undefined) return `set[${value.SS.map((s) => JSON.stringify(s)).join(", ")}]`;
  if (value.NS !== undefined) return `set[${value.NS.join(", ")}]`;
  if (value.BS !== undefined) return `set[${value.BS.map((b) => `<${b.length} bytes>`).join(", ")}]`;
  if (value.L !== undefined) return `[${value.L.map(render).join(", ")}]`;
  if (value.M !== undefined) {
    return `{${Object.entries(value.M)
      .map(([k, v]) => `${keyText(k)}: ${render(v)}`)
      .join(", ")}}`;
  }
  return "?";
}

/** One line of a map diff: `+` added, `-` removed, `~` changed, at a dotted path. */
export interface DiffLine {
  op: "+" | "-" | "~";
  path: string;
  oldValue?: AttributeValue;
  newValue?: AttributeValue;
}

/**
 * The inner-key differences between two maps (either may be absent), recursing into maps
 * present on both sides so a deep change reads `~ limits.daily: 10 → 20`.
 */
export function diffMaps(before: Item | undefined, after: Item | undefined, prefix = ""): DiffLine[] {
  const lines: DiffLine[] = [];
  const names = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  for (const name of names) {
    const path = `${prefix}${keyText(name)}`;
    const oldValue = before?.[name];
    const newValue = after?.[name];
    if (oldValue === undefined && newValue !== undefined) lines.push({ op: "+", path, newValue });
    else if (newValue === undefined && oldValue !== undefined) lines.push({ op: "-", path, oldValue });
    else if (oldValue?.M && newValue?.M) lines.push(...diffMaps(oldValue.M, newValue.M, `${path}.`));
    else if (!sameValue(oldValue, newValue)) lines.push({ op: "~", path, oldValue, newValue });
  }
  return lines;
}
