/**
 * The native path's formatter over items read from export data files: the scan path's routing
 * (fecha decides the day, by window) and its RowShaper / headerColumns / RowAssembler, in two
 * phases as the distributed map runs them: phase one collects the day's column signatures over
 * every file, phase two writes each file's rows under the header those signatures make.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { headerColumns, RowAssembler, RowShaper } from "../columns";
import type { DayWindow } from "../day-window";
import { parseFecha, windowIndexOf } from "../fecha";

type Item = Record<string, AttributeValue>;

/** The items of `items` whose fecha falls inside `window` (the scan path's routing rule). */
export function itemsOfDay(items: Iterable<Item>, window: DayWindow): Item[] {
  const out: Item[] = [];
  for (const item of items) {
    const fecha = parseFecha(item.fecha);
    if (fecha && windowIndexOf(fecha, [window]) === 0) out.push(item);
  }
  return out;
}

/** Phase one: the header of a day from its files' items (column names only, no cells kept). */
export function collectColumns(files: Iterable<Iterable<Item>>): string[] {
  const names = new Set<string>();
  for (const items of files) for (const item of items) for (const name of Object.keys(item)) names.add(name);
  return headerColumns(names);
}

/** Phase two: one file's rows as CSV lines under `columns` (no header; CRLF, as the scan path writes). */
export function csvPart(items: Iterable<Item>, columns: readonly string[], spreadsheetSafe = false): string {
  const shaper = new RowShaper(spreadsheetSafe);
  const shaped = [...items].map((item) => shaper.shape(item));
  const assembler = new RowAssembler(columns, shaper.signatures, spreadsheetSafe);
  let out = "";
  for (const row of shaped) out += assembler.line(row.signature.id, row.cells);
  return out;
}

/** The header line for `columns`, as the scan path writes it. */
export function csvHeader(columns: readonly string[], spreadsheetSafe = false): string {
  return new RowAssembler(columns, [], spreadsheetSafe).header;
}
