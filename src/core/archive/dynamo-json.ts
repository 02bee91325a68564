/**
 * DynamoDB JSON as archived (the stream record as JSON: numbers as decimal text, binary as
 * base64) to the SDK's low-level AttributeValues, without ever going through JS numbers, so a
 * restored item is the archived one type by type.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { AttributeValue as JsonAttributeValue } from "aws-lambda";
import { normalizeDynamoNumber } from "../dynamo-number";
import { ErrorCode, TraceError } from "../errors";

export type JsonItem = Record<string, JsonAttributeValue>;
export type SdkItem = Record<string, AttributeValue>;

const bytes = (base64: string) => new Uint8Array(Buffer.from(base64, "base64"));

/** One archived attribute value to an SDK AttributeValue (binary decoded from base64). */
export function fromJsonAttribute(value: JsonAttributeValue, path = "value"): AttributeValue {
  const v = value as Record<string, unknown>;
  if (typeof v.S === "string") return { S: v.S };
  if (typeof v.N === "string") return { N: v.N };
  if (typeof v.B === "string") return { B: bytes(v.B) };
  if (typeof v.BOOL === "boolean") return { BOOL: v.BOOL };
  if (v.NULL === true) return { NULL: true };
  if (Array.isArray(v.SS)) return { SS: [...(v.SS as string[])] };
  if (Array.isArray(v.NS)) return { NS: [...(v.NS as string[])] };
  if (Array.isArray(v.BS)) return { BS: (v.BS as string[]).map(bytes) };
  if (Array.isArray(v.L)) return { L: (v.L as JsonAttributeValue[]).map((e, i) => fromJsonAttribute(e, `${path}[${i}]`)) };
  if (v.M && typeof v.M === "object") return { M: fromJsonItem(v.M as JsonItem, path) };
  throw new TraceError(ErrorCode.failed, `archived attribute ${path} is not DynamoDB JSON: ${JSON.stringify(value).slice(0, 80)}`);
}

/** A whole archived image (or map) to SDK AttributeValues. */
export function fromJsonItem(item: JsonItem, path = ""): SdkItem {
  const out: SdkItem = {};
  for (const [name, value] of Object.entries(item)) out[name] = fromJsonAttribute(value, path ? `${path}.${name}` : name);
  return out;
}

/**
 * The text a key attribute takes in an object key: S as is, N as its decimal text in DynamoDB's
 * normal form (what AWS streams already; the emulator streams `2.0` as sent), B as base64.
 */
export function keyText(value: JsonAttributeValue | AttributeValue): string {
  const v = value as Record<string, unknown>;
  if (typeof v.S === "string") return v.S;
  if (typeof v.N === "string") return normalizeDynamoNumber(v.N);
  if (typeof v.B === "string") return v.B;
  if (v.B instanceof Uint8Array) return Buffer.from(v.B).toString("base64");
  throw new TraceError(ErrorCode.failed, `a key attribute must be S, N or B, found ${JSON.stringify(value).slice(0, 60)}`);
}
