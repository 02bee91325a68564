/**
 * JSON with exact numbers. DynamoDB numbers carry up to 38 significant digits, more than a JS
 * number holds, so values meant for `--json` keep them as ExactNumber and are written with
 * `stringifyExact`, which prints them as bare JSON numbers with every digit.
 */

/** A number kept as its exact decimal text, serialised as a bare JSON number by `stringifyExact`. */
export class ExactNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * JSON.stringify for trees that may hold ExactNumber (bare number text), bigint, Uint8Array
 * (base64), Set (array), Date and other `toJSON` objects, and undefined fields (omitted).
 */
export function stringifyExact(value: unknown, indent = 0): string {
  const pad = (depth: number) => (indent ? `\n${" ".repeat(indent * depth)}` : "");
  const sep = indent ? ": " : ":";
  const walk = (v: unknown, depth: number): string | undefined => {
    if (v === undefined || typeof v === "function") return undefined;
    if (v === null) return "null";
    if (v instanceof ExactNumber) return v.text;
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
    if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
    if (v instanceof Uint8Array) return JSON.stringify(b64(v));
    if (v instanceof Set) return walk([...v], depth);
    if (typeof (v as { toJSON?: unknown }).toJSON === "function") return walk((v as { toJSON(): unknown }).toJSON(), depth);
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      const parts = v.map((x) => walk(x, depth + 1) ?? "null");
      return `[${parts.map((p) => `${pad(depth + 1)}${p}`).join(",")}${pad(depth)}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => [k, walk(x, depth + 1)] as const)
      .filter((e): e is readonly [string, string] => e[1] !== undefined);
    if (entries.length === 0) return "{}";
    return `{${entries.map(([k, text]) => `${pad(depth + 1)}${JSON.stringify(k)}${sep}${text}`).join(",")}${pad(depth)}}`;
  };
  return walk(value, 0) ?? "null";
}
