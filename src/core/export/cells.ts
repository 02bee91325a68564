/**
 * One CSV cell from one DynamoDB value, straight from the low-level AttributeValue the Scan API
 * returns (no unmarshalling): numbers are never parsed into floats, so no digit is lost.
 * String as is; number as the decimal text DynamoDB returns (normalised as DynamoDB does, so
 * the emulator's as-sent text gives the same cell); boolean true/false; null empty; map and list as
 * compact JSON (keys sorted); string and number sets as sorted JSON arrays; binary as base64.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { type DecimalParts, normalizeDynamoNumber, parseDecimal } from "../dynamo-number";

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

/** A number's text as a JSON literal: DynamoDB's normalised text, which JSON always accepts. */
const jsonNumber = (text: string, q: Quote = '"') => {
  const normal = normalizeDynamoNumber(text);
  return JSON_NUMBER.test(normal) ? normal : q + normal + q;
};

type Decimal = DecimalParts;

const ZERO: Decimal = { negative: false, digits: "", point: 0 };
const toDecimal = (text: string): Decimal => parseDecimal(text) ?? ZERO;

/** Compares two decimal texts by value, exactly (38 digits, any exponent). */
export function compareDecimal(a: string, b: string): number {
  return compareDecimals(toDecimal(a), toDecimal(b));
}

function compareDecimals(x: Decimal, y: Decimal): number {
  if (x.negative !== y.negative) return x.negative ? -1 : 1;
  const sign = x.negative ? -1 : 1;
  if (x.digits === "" || y.digits === "") return sign * ((x.digits === "" ? 0 : 1) - (y.digits === "" ? 0 : 1));
  if (x.point !== y.point) return sign * (x.point < y.point ? -1 : 1);
  return sign * (x.digits < y.digits ? -1 : x.digits > y.digits ? 1 : 0);
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b);

/** Strings JSON needs no escapes for (DynamoDB strings are valid UTF-8: no lone surrogates). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON must escape
const JSON_SAFE = /^[^"\\\u0000-\u001f]*$/;

/**
 * JSON is written with its quote character as a parameter: `"` for plain JSON, `""` for JSON
 * going straight into a quoted CSV field, which saves a second pass doubling every quote.
 */
type Quote = '"' | '""';

function jsonString(text: string, q: Quote): string {
  if (JSON_SAFE.test(text)) return q + text + q;
  const json = JSON.stringify(text);
  return q === '"' ? json : json.replaceAll('"', '""');
}

/** `"key":` for map keys, which repeat from record to record; bounded so odd data cannot grow it. */
const keyCaches = { '"': new Map<string, string>(), '""': new Map<string, string>() };
function jsonKey(key: string, q: Quote): string {
  const cache = keyCaches[q];
  let out = cache.get(key);
  if (out === undefined) {
    out = `${jsonString(key, q)}:`;
    if (cache.size < 10_000) cache.set(key, out);
  }
  return out;
}

/** `list` sorted by `compare`, without copying when it already is (the common case). */
function sorted<T>(list: readonly T[], compare: (a: T, b: T) => number): readonly T[] {
  for (let i = 1; i < list.length; i++) {
    if (compare(list[i - 1] as T, list[i] as T) > 0) return [...list].sort(compare);
  }
  return list;
}

function sortedNumbers(list: readonly string[]): readonly string[] {
  for (let i = 1; i < list.length; i++) {
    if (compareDecimal(list[i - 1] as string, list[i] as string) > 0) {
      // Parse each number once, not once per comparison.
      const keyed = list.map((text) => ({ text, value: toDecimal(text) }));
      return keyed.sort((a, b) => compareDecimals(a.value, b.value)).map((k) => k.text);
    }
  }
  return list;
}

// Values from the Scan API carry exactly one of S, N, BOOL, NULL, M, L, SS, NS, BS, B. Dispatching
// on that one key (a for-in step and a switch) is much cheaper than probing ten properties.
type Tagged = Record<string, unknown>;

function json(value: AttributeValue, q: Quote): string {
  for (const tag in value) {
    const v = (value as unknown as Tagged)[tag];
    if (v === undefined) continue;
    switch (tag) {
      case "S":
        return jsonString(v as string, q);
      case "N":
        return jsonNumber(v as string, q);
      case "BOOL":
        return v ? "true" : "false";
      case "NULL":
        return "null";
      case "M": {
        const map = v as Record<string, AttributeValue>;
        const keys = sorted(Object.keys(map), byCodeUnit);
        let out = "{";
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as string;
          out += (i ? "," : "") + jsonKey(key, q) + json(map[key] as AttributeValue, q);
        }
        return `${out}}`;
      }
      case "L": {
        const list = v as AttributeValue[];
        let out = "[";
        for (let i = 0; i < list.length; i++) out += (i ? "," : "") + json(list[i] as AttributeValue, q);
        return `${out}]`;
      }
      case "SS": {
        const list = sorted(v as string[], byCodeUnit);
        let out = "[";
        for (let i = 0; i < list.length; i++) out += (i ? "," : "") + jsonString(list[i] as string, q);
        return `${out}]`;
      }
      case "NS":
        return `[${sortedNumbers(v as string[])
          .map((n) => jsonNumber(n, q))
          .join(",")}]`;
      case "BS":
        return `[${sorted(v as Uint8Array[], byBytes)
          .map((b) => q + base64(b) + q)
          .join(",")}]`;
      case "B":
        return q + base64(v as Uint8Array) + q;
    }
  }
  return "null";
}

/** Compact JSON for a value nested in a map or list (and for sets at the top level). */
export function toJson(value: AttributeValue): string {
  return json(value, '"');
}

/**
 * Characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a
 * formula: OWASP's "CSV Injection" page lists `=`, `+`, `-`, `@`, tab and carriage return.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * OWASP's escape for CSV injection: a cell that begins with a formula character gets a single
 * quote in front, so the spreadsheet shows it as text. Numbers are never passed here (a negative
 * number stays a number).
 */
export function spreadsheetSafeText(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

const NEEDS_QUOTES = /[",\r\n]/;
/** Spreadsheet-safe also quotes `;`: where `;` is the list separator, a spreadsheet splits on it, and a formula could start after it. */
const NEEDS_QUOTES_SAFE = /[",\r\n;]/;

/**
 * RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled (with
 * `spreadsheetSafe`, a field with a semicolon too).
 */
export function quoteCell(text: string, spreadsheetSafe = false): string {
  if (!(spreadsheetSafe ? NEEDS_QUOTES_SAFE : NEEDS_QUOTES).test(text)) return text;
  return `"${text.includes('"') ? text.replaceAll('"', '""') : text}"`;
}

/**
 * Cell text quoted for CSV. Numbers, booleans and base64 never need quotes; JSON has no line
 * breaks. `spreadsheetSafe`: see `spreadsheetSafeText` and `quoteCell`. A unit test holds it equal
 * to the contract stated plainly (`cellText` in test/unit/core/export/cells.test.ts), quoted.
 */
export function csvCell(value: AttributeValue, spreadsheetSafe = false): string {
  for (const tag in value) {
    const v = (value as unknown as Tagged)[tag];
    if (v === undefined) continue;
    switch (tag) {
      case "S":
        return spreadsheetSafe ? quoteCell(spreadsheetSafeText(v as string), true) : quoteCell(v as string);
      case "N":
        return normalizeDynamoNumber(v as string);
      case "BOOL":
        return v ? "true" : "false";
      case "NULL":
        return "";
      case "B":
        return spreadsheetSafe ? spreadsheetSafeText(base64(v as Uint8Array)) : base64(v as Uint8Array);
      default: {
        // Written with doubled quotes: any quote in it means the field must be quoted (a `;` can
        // only be inside a JSON string, so such a field is quoted in spreadsheet-safe mode too).
        const text = json(value, '""');
        return text.includes('"') || text.includes(",") ? `"${text}"` : text;
      }
    }
  }
  return "";
}
