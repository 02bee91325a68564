// A day whose rows prove the one row order: every fecha form (date-times with Z and offsets, plain
// dates, epoch seconds and milliseconds as numbers and as text), many rows sharing an instant
// (their id decides), sparse attributes, neighbours' records, all written in an order unlike the
// export's. Each record's instant is known here, so the expected order is computed independently of
// the code under test. Shared by row-order.test.ts (moto and dynalite).
import { dayWindow } from "../../../src/core/export/day-window";
import { type Item, N, S } from "./support";

export const ZONE = "America/Bogota";
export const DAY = "2026-11-22";
export const OTHER_DAYS = ["2026-11-21", "2026-11-23"];
const window = dayWindow(DAY, ZONE);

/** A scrambled but fixed permutation of 0..n-1 (multiplication by a unit mod n). */
const scrambled = (i: number, n: number) => (i * 7919) % n;

/** The day's records and their instants (epoch ms), in the order they are written. */
export function orderDay(rows: number): { items: Item[]; instants: Map<string, number> } {
  const items: Item[] = [];
  const instants = new Map<string, number>();
  for (let k = 0; k < rows; k++) {
    const i = scrambled(k, rows);
    const id = `o-${String((i * 104729) % 1_000_003).padStart(7, "0")}-${i}`;
    // 97 distinct instants, so about rows / 97 share each: the id orders them.
    const minute = i % 97;
    const t = window.start + minute * 60_000 + 1_000;
    const iso = new Date(t).toISOString();
    const forms = [
      S(iso),
      S(`${iso.slice(0, 19).replace(/T(\d\d)/, (_, h) => `T${String(Number(h) - 5).padStart(2, "0")}`)}-05:00`),
      N(t / 1000),
      N(t),
      S(String(t / 1000)),
      S(DAY),
    ];
    const form = i % forms.length;
    // A plain date sorts at the day's first instant.
    instants.set(id, form === 5 ? window.start : t);
    items.push({
      id: S(id),
      fecha: forms[form] as Item[string],
      dia: S(DAY),
      estado: S(i % 3 ? "RECIBIDO" : "SERVIDO"),
      cantidad: N(`${i % 13}.25`),
      ...(i % 4 === 0 ? { notas: S(`caja "${i}", revisar`) } : {}),
      ...(i % 7 === 0 ? { lote: N(i) } : {}),
    });
  }
  for (const [d, day] of OTHER_DAYS.entries()) {
    for (let i = 0; i < rows / 10; i++) {
      items.push({ id: S(`x-${day}-${i}`), fecha: S(`${day}T12:00:00-05:00`), dia: S(day), estado: S("X"), otra: N(d) });
    }
  }
  return { items, instants };
}

/** The ids of the day in the documented order: instant, then id by code unit (every id is a string here). */
export function expectedIds(instants: Map<string, number>): string[] {
  return [...instants.entries()].sort(([a, ta], [b, tb]) => ta - tb || (a < b ? -1 : a > b ? 1 : 0)).map(([id]) => id);
}
