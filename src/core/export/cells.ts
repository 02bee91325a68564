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

/** Compact JSON for a value nested in a map or list (and for sets at the top level). */
export function toJson(value: AttributeValue): string {
  if (value.S !== undefined) return JSON.stringify(value.S);
  if (value.N !== undefined) return jsonNumber(value.N);
  if (value.BOOL !== undefined) return value.BOOL ? "true" : "false";
  if (value.NULL !== undefined) return "null";
  if (value.M !== undefined) {
    const map = value.M;
    const keys = Object.keys(map).sort(byCodeUnit);
    let out = "{";
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      out += `${i ? "," : ""}${JSON.stringify(key)}:${toJson(map[key] as AttributeValue)}`;
    }
    return `${out}}`;
  }
  if (value.L !== undefined) return `[${value.L.map(toJson).join(",")}]`;
  if (value.SS !== undefined) return JSON.stringify([...value.SS].sort(byCodeUnit));
  if (value.NS !== undefined) return `[${[...value.NS].sort(compareDecimal).map(jsonNumber).join(",")}]`;
  if (value.BS !== undefined) {
    const sorted = [...value.BS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `[${sorted.map((b) => `"${base64(b)}"`).join(",")}]`;
  }
  if (value.B !== undefined) return `"${base64(value.B)}"`;
  return "null";
}

/** The cell text (not yet quoted) for a top-level attribute value. */
export function cellText(value: AttributeValue): string {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return value.N;
  if (value.BOOL !== undefined) return value.BOOL ? "true" : "false";
  if (value.NULL !== undefined) return "";
  if (value.B !== undefined) return base64(value.B);
  return toJson(value);
}

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
export function quoteCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(QUOTE, '""')}"` : text;
}

/** Cell text quoted for CSV. */
export const csvCell = (value: AttributeValue): string => quoteCell(cellText(value));
