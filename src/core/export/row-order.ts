/**
 * The one row order of a day's CSV, the same on every read path, so that one day's data gives one
 * sha256 whatever the read order (a parallel scan's interleaving, a query, DynamoDB's export files):
 *
 * 1. the `fecha` instant, in epoch milliseconds (a date-time to the millisecond, finer digits
 *    dropped; epoch seconds × 1000 and epoch milliseconds floored to the millisecond, as `fecha.ts`
 *    reads them). A plain date `YYYY-MM-DD` sorts at the first instant of its day in the business
 *    zone (the day window's start), with the date-times of that instant;
 * 2. then the `id`: by type first (missing < number < string < binary < any other type), a number
 *    by its exact decimal value, a string by UTF-16 code unit (as the column names are sorted), a
 *    binary by unsigned bytes, another type by its CSV cell text;
 * 3. rows still equal (possible only when `id` is not the table's whole key: TRAZABILIDAD's key is
 *    `id`) by their CSV line, by UTF-16 code unit. Rows whose lines are equal are the same bytes.
 *
 * A total order on the rows' bytes: the CSV depends on the day's data alone.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { normalizeDynamoNumber } from "../dynamo-number";
import { compareDecimal, csvCell } from "./cells";
import type { DayWindow } from "./day-window";
import { parseFecha } from "./fecha";

/** A row's place in the order, before the tie on the CSV line (rule 3). */
export interface RowKey {
  /** The fecha instant, epoch ms. */
  t: number;
  /** The id's type: ID_RANK. */
  rank: number;
  /** The id as compared within its type: a number's normal decimal text, a string, a binary's hex, another type's cell. */
  id: string;
}

/** The order of the id's types. */
export const ID_RANK = { missing: 0, N: 1, S: 2, B: 3, other: 4 } as const;

/** The id's part of the key. Binary as lowercase hex, which sorts as its bytes do. */
function idKey(value: AttributeValue | undefined): Pick<RowKey, "rank" | "id"> {
  if (value === undefined) return { rank: ID_RANK.missing, id: "" };
  if (value.S !== undefined) return { rank: ID_RANK.S, id: value.S };
  if (value.N !== undefined) return { rank: ID_RANK.N, id: normalizeDynamoNumber(value.N) };
  if (value.B !== undefined) return { rank: ID_RANK.B, id: Buffer.from(value.B).toString("hex") };
  return { rank: ID_RANK.other, id: csvCell(value) };
}

/**
 * The key of a record routed to `window` (its fecha falls there). Throws on a record whose fecha is
 * unreadable: the router sets those aside before any row is keyed.
 */
export function rowKey(item: Record<string, AttributeValue>, window: DayWindow): RowKey {
  const fecha = parseFecha(item.fecha);
  if (!fecha) throw new Error("rowKey: a record with an unreadable fecha has no place in a day");
  const t = fecha.kind === "date" ? window.start : fecha.instant;
  return { t, ...idKey(item.id) };
}

/** Compares two keys by rules 1 and 2. */
export function compareKeys(a: RowKey, b: RowKey): number {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1;
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.id === b.id) return 0;
  if (a.rank === ID_RANK.N) return compareDecimal(a.id, b.id);
  return a.id < b.id ? -1 : 1;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Rule 3 on a stream of rows already in key order: rows with equal keys are held (a run of equal
 * keys: one row per key when `id` is the table's key) and let go sorted by their line.
 */
export class TieOrder {
  private key: RowKey | undefined;
  private lines: string[] = [];

  /** Takes the next row's key and CSV line; returns the text now settled (possibly ""). */
  push(key: RowKey, line: string): string {
    if (this.key !== undefined && compareKeys(this.key, key) === 0) {
      this.lines.push(line);
      return "";
    }
    const out = this.end();
    this.key = key;
    this.lines.push(line);
    return out;
  }

  /** The rows still held. */
  end(): string {
    const lines = this.lines;
    this.lines = [];
    this.key = undefined;
    if (lines.length === 1) return lines[0] as string;
    return lines.sort(byCodeUnit).join("");
  }
}
