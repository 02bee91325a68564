/**
 * The column order and row assembly. Columns: `id`, `fecha`, `estado`, then every other
 * attribute name seen that day, sorted. That order is a total order on names, so a record's
 * own attributes, put in it, are already a subsequence of the final header: a row is formatted
 * once, when scanned, and only needs empty cells filled in when the day's header is known.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { csvCell, quoteCell, spreadsheetSafeText } from "./cells";
import { DAY_ATTRIBUTE } from "./read-query";
import { EXPIRES_ATTRIBUTE } from "./stamp/stamp-item";

/** Columns that always come first, in this order, whether or not any record has them. */
export const LEADING_COLUMNS = ["id", "fecha", "estado"] as const;

const rank = (name: string) => {
  const i = (LEADING_COLUMNS as readonly string[]).indexOf(name);
  return i < 0 ? LEADING_COLUMNS.length : i;
};

/** The export's column order: leading columns, then by UTF-16 code unit. */
export function compareColumns(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The product's own attributes, set by the stamper (stamp/stamp-item.ts): `dia`, derived from
 * `fecha`, and the table's TTL attribute `expiresAt` (write time + the retention, on an item that
 * has none). Never columns, so a day's CSV is the same bytes before and after its records are
 * stamped: one sha256 per day whether the stamper has reached its records or not.
 */
const isOwn = (name: string) => name === DAY_ATTRIBUTE || name === EXPIRES_ATTRIBUTE;

/** The header of a day: the leading columns plus every other name seen (but the product's own), in export order. */
export function headerColumns(seen: Iterable<string>): string[] {
  const names = new Set<string>(LEADING_COLUMNS);
  for (const name of seen) if (!isOwn(name)) names.add(name);
  return [...names].sort(compareColumns);
}

export interface Signature {
  id: number;
  /** The record's attribute names in export order. */
  names: readonly string[];
}

export interface ShapedRow {
  signature: Signature;
  /** Quoted CSV cells, one per name of the signature. */
  cells: string[];
}

/**
 * Formats records into cells in export order. Records written by the same code share their
 * attribute set, so the sort is done once per distinct key list and cached.
 */
export class RowShaper {
  private readonly byKeys = new Map<string, Signature>();
  private readonly byNames = new Map<string, Signature>();
  readonly signatures: Signature[] = [];

  /** `spreadsheetSafe`: text cells that a spreadsheet would read as a formula are escaped (cells.ts). */
  constructor(private readonly spreadsheetSafe = false) {}

  signatureOf(keys: readonly string[]): Signature {
    const raw = keys.join("\u0000");
    let signature = this.byKeys.get(raw);
    if (!signature) {
      const names = keys.filter((k) => !isOwn(k)).sort(compareColumns);
      const sorted = names.join("\u0000");
      signature = this.byNames.get(sorted);
      if (!signature) {
        signature = { id: this.signatures.length, names };
        this.signatures.push(signature);
        this.byNames.set(sorted, signature);
      }
      this.byKeys.set(raw, signature);
    }
    return signature;
  }

  shape(item: Record<string, AttributeValue>): ShapedRow {
    const signature = this.signatureOf(Object.keys(item));
    const names = signature.names;
    const cells = new Array<string>(names.length);
    const safe = this.spreadsheetSafe;
    for (let i = 0; i < names.length; i++) cells[i] = csvCell(item[names[i] as string] as AttributeValue, safe);
    return { signature, cells };
  }
}

/**
 * Joins shaped rows under a known header: for each signature, the header position of each of
 * its cells (computed once), empty cells elsewhere. Lines end with CRLF (RFC 4180).
 */
export class RowAssembler {
  readonly header: string;
  private readonly positions = new Map<number, Int32Array | null>();
  private readonly index: Map<string, number>;

  constructor(
    readonly columns: readonly string[],
    private readonly signatures: readonly Signature[],
    /** Escape header names too: an attribute may be called `=HYPERLINK(…)`. */
    spreadsheetSafe = false,
  ) {
    const headerCell = spreadsheetSafe ? (name: string) => quoteCell(spreadsheetSafeText(name), true) : (name: string) => quoteCell(name);
    this.header = `${columns.map(headerCell).join(",")}\r\n`;
    this.index = new Map(columns.map((c, i) => [c, i]));
  }

  /** null when the signature is the whole header (the common case: cells joined as they are). */
  private positionsOf(signatureId: number): Int32Array | null {
    let p = this.positions.get(signatureId);
    if (p === undefined) {
      const names = this.signatures[signatureId]?.names ?? [];
      if (names.length === this.columns.length) p = null;
      else {
        p = new Int32Array(names.length);
        for (let i = 0; i < names.length; i++) {
          const at = this.index.get(names[i] as string);
          if (at === undefined) throw new Error(`column ${names[i]} missing from the header`);
          p[i] = at;
        }
      }
      this.positions.set(signatureId, p);
    }
    return p;
  }

  line(signatureId: number, cells: readonly string[]): string {
    const p = this.positionsOf(signatureId);
    if (cells.length === 0) return `${",".repeat(this.columns.length - 1)}\r\n`;
    if (p === null) return `${cells.join(",")}\r\n`;
    // Commas between cells: one per header position skipped, filling the missing columns.
    let out = "";
    let next = 0;
    for (let i = 0; i < cells.length; i++) {
      const at = p[i] as number;
      out += (i === 0 ? ",".repeat(at) : ",".repeat(at - next + 1)) + cells[i];
      next = at + 1;
    }
    return `${out}${",".repeat(this.columns.length - next)}\r\n`;
  }
}
