/**
 * Which day a record belongs to, the same for every read path: its `fecha` decides, in the
 * business zone. Records whose `fecha` is missing or unreadable belong to no day; records whose
 * `dia` (the writer's claim, read by the day index) disagrees with their `fecha` within reach of
 * the exported days are counted and named, never silently lost or moved.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { Reporter } from "../reporter";
import type { Day, DayWindow } from "./day-window";
import { parseFecha, windowIndexOf } from "./fecha";
import { DAY_ATTRIBUTE } from "./read-query";

type Item = Record<string, AttributeValue>;

/** Ids named in a warning and a manifest, at most. */
export const ID_SAMPLE = 20;

export const idText = (value: AttributeValue | undefined): string =>
  value?.S ?? value?.N ?? (value?.B ? Buffer.from(value.B).toString("base64") : "(no id)");

/** The records set aside while routing: counts, and up to ID_SAMPLE ids of each. */
export interface RouteCounts {
  unreadable: number;
  unreadableIds: string[];
  mismatched: number;
  mismatchIds: string[];
}

export const noCounts = (): RouteCounts => ({ unreadable: 0, unreadableIds: [], mismatched: 0, mismatchIds: [] });

/** Adds `more` into `into` (the sampled ids stay within ID_SAMPLE). */
export function addCounts(into: RouteCounts, more: RouteCounts): void {
  into.unreadable += more.unreadable;
  into.mismatched += more.mismatched;
  for (const id of more.unreadableIds) if (into.unreadableIds.length < ID_SAMPLE) into.unreadableIds.push(id);
  for (const id of more.mismatchIds) if (into.mismatchIds.length < ID_SAMPLE) into.mismatchIds.push(id);
}

/** Routes records to the index of their day in `days` (windows in the same order). */
export class DayRouter {
  readonly counts: RouteCounts = noCounts();
  private readonly dayIndexOf: Map<string, number>;

  constructor(
    private readonly days: readonly Day[],
    private readonly windows: readonly DayWindow[],
  ) {
    this.dayIndexOf = new Map(days.map((day, i) => [day, i]));
  }

  /** The index of the day `item` belongs to by its fecha, or -1 (another day, or unreadable). */
  route(item: Item): number {
    const fecha = parseFecha(item.fecha);
    const counts = this.counts;
    if (!fecha) {
      counts.unreadable++;
      if (counts.unreadableIds.length < ID_SAMPLE) counts.unreadableIds.push(idText(item.id));
      return -1;
    }
    const index = windowIndexOf(fecha, this.windows);
    // The day attribute is the writer's claim; fecha decides. A disagreement within reach of
    // these days is counted and named (and the record goes to its fecha's day, if here).
    const dia = item[DAY_ATTRIBUTE]?.S;
    if (dia !== undefined && (index >= 0 || this.dayIndexOf.has(dia)) && dia !== (index >= 0 ? this.days[index] : undefined)) {
      counts.mismatched++;
      if (counts.mismatchIds.length < ID_SAMPLE) counts.mismatchIds.push(idText(item.id));
    }
    return index;
  }
}

const more = (count: number, sample: readonly string[]) => (count > sample.length ? ", …" : "");

/** The warnings a read leaves when it set records aside. */
export function warnSetAside(reporter: Reporter, table: string, counts: RouteCounts): void {
  const { mismatched, mismatchIds, unreadable, unreadableIds } = counts;
  if (mismatched > 0) {
    reporter.warn(
      `${mismatched} record(s) of ${table} have a ${DAY_ATTRIBUTE} that disagrees with their fecha; fecha decides their day, so each goes to (or stays out of) this export by fecha (ids: ${mismatchIds.join(", ")}${more(mismatched, mismatchIds)})`,
      { dayMismatch: mismatched, ids: mismatchIds },
    );
  }
  if (unreadable > 0) {
    reporter.warn(
      `${unreadable} record(s) of ${table} have a missing or unreadable fecha and belong to no day (ids: ${unreadableIds.join(", ")}${more(unreadable, unreadableIds)})`,
      { unreadableFecha: unreadable, ids: unreadableIds },
    );
  }
}
