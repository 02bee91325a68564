/**
 * One CSV cell from one DynamoDB value, straight from the low-level AttributeValue the Scan API
 * returns (no unmarshalling): numbers keep the exact decimal text DynamoDB stored.
 * String as is; number as its decimal text; boolean true/false; null empty; map and list as
 * compact JSON (keys sorted); string and number sets as sorted JSON arrays; binary as base64.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

/** A number's text as a JSON literal: DynamoDB's text when JSON accepts it (it always should). */
const jsonNumber = (text: string) => (JSON_NUMBER.test(text) ? text : JSON.stringify(text));

interface Decimal {
  negative: boolean;
  /** Significant digits without leading or trailing zeros ("" for zero). */
  digits: string;
  /** Position of the decimal point relative to the start of `digits`. */
  point: number;
}

function toDecimal(text: string): Decimal {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) return { negative: false, digits: "", point: 0 };
  const all = (m[2] ?? "") + (m[3] ?? "");
  let point = (m[2] ?? "").length + Number(m[4] ?? 0);
  const lead = all.length - all.replace(/^0+/, "").length;
  const digits = all.slice(lead).replace(/0+$/, "");
  point -= lead;
  return { negative: m[1] === "-" && digits !== "", digits, point };
}

/** Compares two decimal texts by value, exactly (38 digits, any exponent). */
export function compareDecimal(a: string, b: string): number {
  const x = toDecimal(a);
  const y = toDecimal(b);
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
const jsonString = (text: string) => (JSON_SAFE.test(text) ? `"${text}"` : JSON.stringify(text));

/** `"key":` for map keys, which repeat from record to record; bounded so odd data cannot grow it. */
const keyCache = new Map<string, string>();
function jsonKey(key: string): string {
  let out = keyCache.get(key);
  if (out === undefined) {
    out = `${jsonString(key)}:`;
    if (keyCache.size < 10_000) keyCache.set(key, out);
  }
  return out;
}

// Values from the Scan API carry exactly one of S, N, BOOL, NULL, M, L, SS, NS, BS, B. Dispatching
// on that one key (a for-in step and a switch) is much cheaper than probing ten properties.
type Tagged = Record<string, unknown>;

function writeJson(value: AttributeValue, out: string[]): void {
  for (const tag in value) {
    const v = (value as unknown as Tagged)[tag];
    if (v === undefined) continue;
    switch (tag) {
      case "S":
        out.push(jsonString(v as string));
        return;
      case "N":
        out.push(jsonNumber(v as string));
        return;
      case "BOOL":
        out.push(v ? "true" : "false");
        return;
      case "NULL":
        out.push("null");
        return;
      case "M": {
        const map = v as Record<string, AttributeValue>;
        const keys = Object.keys(map).sort(byCodeUnit);
        out.push("{");
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as string;
          if (i) out.push(",");
          out.push(jsonKey(key));
          writeJson(map[key] as AttributeValue, out);
        }
        out.push("}");
        return;
      }
      case "L": {
        const list = v as AttributeValue[];
        out.push("[");
        for (let i = 0; i < list.length; i++) {
          if (i) out.push(",");
          writeJson(list[i] as AttributeValue, out);
        }
        out.push("]");
        return;
      }
      case "SS":
        out.push(JSON.stringify([...(v as string[])].sort(byCodeUnit)));
        return;
      case "NS":
        out.push(`[${[...(v as string[])].sort(compareDecimal).map(jsonNumber).join(",")}]`);
        return;
      case "BS":
        out.push(
          `[${[...(v as Uint8Array[])]
            .sort(byBytes)
            .map((b) => `"${base64(b)}"`)
            .join(",")}]`,
        );
        return;
      case "B":
        out.push(`"${base64(v as Uint8Array)}"`);
        return;
    }
  }
  out.push("null");
}

/** Compact JSON for a value nested in a map or list (and for sets at the top level). */
export function toJson(value: AttributeValue): string {
  const out: string[] = [];
  writeJson(value, out);
  return out.join("");
}

/** The cell text (not yet quoted) for a top-level attribute value. */
export function cellText(value: AttributeValue): string {
  for (const tag in value) {
    const v = (value as unknown as Tagged)[tag];
    if (v === undefined) continue;
    switch (tag) {
      case "S":
      case "N":
        return v as string;
      case "BOOL":
        return v ? "true" : "false";
      case "NULL":
        return "";
      case "B":
        return base64(v as Uint8Array);
      default:
        return toJson(value);
    }
  }
  return "";
}

const NEEDS_QUOTES = /[",\r\n]/;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
export function quoteCell(text: string): string {
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${text.includes('"') ? text.replaceAll('"', '""') : text}"`;
}

/** Cell text quoted for CSV. Numbers, booleans and base64 never need quotes; JSON has no line breaks. */
export function csvCell(value: AttributeValue): string {
  for (const tag in value) {
    const v = (value as unknown as Tagged)[tag];
    if (v === undefined) continue;
    switch (tag) {
      case "S":
        return quoteCell(v as string);
      case "N":
        return v as string;
      case "BOOL":
        return v ? "true" : "false";
      case "NULL":
        return "";
      case "B":
        return base64(v as Uint8Array);
      default: {
        const json = toJson(value);
        if (json.includes('"')) return `"${json.replaceAll('"', '""')}"`;
        return json.includes(",") ? `"${json}"` : json;
      }
    }
  }
  return "";
}
