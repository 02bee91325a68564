// The Scan FilterExpression on fecha, evaluated by the emulator: it drops only numbers that are
// readable and of another day, keeps every record of the day (also those the client's float
// rounding pulls in from just outside), every string and every unreadable value, so the export's
// rows and its unreadable count are what they would be without it.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayWindow } from "../../../src/core/export/day-window";
import { fechaScanFilter } from "../../../src/core/export/fecha-filter";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createTable, type Item, N, putItems, S } from "./support";

const DAY = "2026-11-22";
const ZONE = "America/Bogota"; // the day is [2026-11-22T05:00Z, 2026-11-23T05:00Z)
const START = Date.parse("2026-11-22T05:00:00Z") / 1000; // in seconds
const END = Date.parse("2026-11-23T05:00:00Z") / 1000;

/** Records of the day, `fecha` a number in every notation, at both edges. */
const inside: Item[] = [
  { id: S("n-first-second"), fecha: N(START) },
  { id: S("n-last-ms-as-seconds"), fecha: N(`${END - 1}.999`) },
  { id: S("n-last-ms"), fecha: N(END * 1000 - 1) },
  // Just before the day in exact decimal, but a double rounds it to the day's first second: the
  // client places it in the day, so the filter must keep it.
  { id: S("n-rounds-in"), fecha: N(`${START - 1}.99999999999`) },
  { id: S("n-exponent-seconds"), fecha: N("1.7953452E9") },
  { id: S("n-exponent-ms"), fecha: N("1.7953452e12") },
  { id: S("s-iso"), fecha: S("2026-11-22T12:00:00-05:00") },
];
/** Readable numbers of other days: the only records DynamoDB may drop. */
const droppable: Item[] = [
  { id: S("x-hour-before"), fecha: N(START - 3600) },
  { id: S("x-hour-after-ms"), fecha: N((END + 3600) * 1000) },
  { id: S("x-2001"), fecha: N(1_000_000_000) },
  { id: S("x-negative"), fecha: N(-5) },
];
/** Kept by the filter, not of the day: strings of other days and a number on the window's end. */
const keptOutside: Item[] = [
  { id: S("k-next-midnight"), fecha: N(END) },
  { id: S("k-iso-other-day"), fecha: S("2026-11-10T10:00:00Z") },
  { id: S("k-plain-other-day"), fecha: S("2026-11-10") },
];
/** Unreadable: beyond a Date, not a number or a string, missing, or a string of the wrong form. */
const unreadable: Item[] = [
  { id: S("u-huge"), fecha: N("100000000000000000000") },
  { id: S("u-huge-negative"), fecha: N("-99999999999999999999") },
  { id: S("u-boolean"), fecha: { BOOL: true } },
  { id: S("u-missing"), estado: S("sin fecha") },
  { id: S("u-no-offset-other-day"), fecha: S("2026-11-10T10:00:00") },
  { id: S("u-impossible"), fecha: S("2026-02-30") },
];
const ids = (items: readonly Item[]) => items.map((i) => i.id?.S as string).sort();

describe("export: the Scan filter on fecha", () => {
  const clients = emulatorClients();
  let table: string;

  beforeAll(async () => {
    table = await createTable(clients);
    await putItems(clients, table, [...inside, ...droppable, ...keptOutside, ...unreadable]);
  });
  afterAll(() => clients.destroy());

  it("lets DynamoDB drop only readable numbers of other days", async () => {
    const out = await clients.dynamodb.send(
      new ScanCommand({ TableName: table, ...fechaScanFilter([dayWindow(DAY, ZONE)]), ConsistentRead: true }),
    );
    expect(out.ScannedCount).toBe(inside.length + droppable.length + keptOutside.length + unreadable.length);
    expect(ids(out.Items ?? [])).toEqual(ids([...inside, ...keptOutside, ...unreadable]));
  });

  it("leaves the export's rows and unreadable count as they would be unfiltered", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "trace-fecha-filter-")), "day.csv");
    const run = await runCli(["--config", configFile(ZONE, 2), "--json", "export", "--date", DAY, "--table", table, "--out", out], {
      env: emulatorEnv(),
    });
    expect(run.code, run.stderr).toBe(0);
    const rows: string[][] = parse(readFileSync(out), { from_line: 2 });
    expect(rows.map((r) => r[0]).sort()).toEqual(ids(inside));
    const manifest = JSON.parse(run.stdout);
    expect(manifest.rows).toBe(inside.length);
    expect(manifest.scannedCount).toBe(inside.length + droppable.length + keptOutside.length + unreadable.length);
    expect(manifest.unreadableFecha).toBe(unreadable.length);
    expect([...manifest.unreadableFechaIds].sort()).toEqual(ids(unreadable));
  });
});
