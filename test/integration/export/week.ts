// A week of TRAZABILIDAD records as the brief's writers make them (id, fecha, estado and other
// attributes, never the product's `dia`), plus the odd ones the read paths must agree on; and the
// table as the traceability stack makes it with DayIndex. Shared by the day-index and
// native-engine tests.
import { daysBetween } from "../../../src/core/export/day-window";
import { type emulatorClients, uniqueName } from "../../support/emulator";
import { createStreamTable, dayIndexedTrazabilidad } from "../../support/fixtures";
import { type Item, N, S } from "./support";

export const ZONE = "Europe/Madrid";
export const WEEK = daysBetween("2026-11-17", "2026-11-23");
export const PER_DAY = 20;
/** The day with the odd records; CLEAN has none in its partition or its neighbours'. */
export const ODD = "2026-11-19";
export const CLEAN = "2026-11-22";

export const dayItems = (day: string): Item[] =>
  Array.from({ length: PER_DAY }, (_, i) => ({
    id: S(`d${day}-${String(i).padStart(2, "0")}`),
    // Hours 00..19 local time (+01:00 in November), the first one at midnight.
    fecha: S(`${day}T${String(i).padStart(2, "0")}:00:00+01:00`),
    estado: S(i % 2 ? "RECIBIDO" : "SERVIDO"),
    cantidad: N(`${i}.5`),
    ...(i % 5 === 0 ? { notas: S('caja "dañada", revisar') } : {}),
  }));

export const odd: Item[] = [
  // A writer that sets a dia of its own, wrong: the 19th, where fecha says the 20th (Madrid).
  { id: S("m-late-dia"), fecha: S("2026-11-20T10:00:00+01:00"), dia: S(ODD), estado: S("X") },
  // A writer that used UTC: 00:30 Madrid on the 19th is the 18th in UTC.
  { id: S("m-utc-writer"), fecha: S("2026-11-19T00:30:00+01:00"), dia: S("2026-11-18"), estado: S("X") },
  // No dia, as every writer of the brief writes: the stamper gives it one.
  { id: S("n-legacy"), fecha: S("2026-11-19T12:00:00+01:00"), estado: S("X") },
];

export async function createIndexedTable(clients: ReturnType<typeof emulatorClients>): Promise<string> {
  const table = uniqueName("TRAZABILIDAD");
  await createStreamTable(clients.dynamodb, { TableName: table, ...dayIndexedTrazabilidad() });
  return table;
}
