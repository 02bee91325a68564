// The query read path on the emulator: a week of records in a table with the day index. The
// query reads only the day's partition and its neighbours (ScannedCount of each Query, summed),
// its CSV is byte-identical to the scan's, records whose dia disagrees with fecha are counted and
// routed by fecha, and a table without the index falls back to the scan. CLI and handler.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, createHandler } from "../../../lambda/export";
import { addDays } from "../../../src/core/export/day-window";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createTable, createVersionedBucket, putItems, readText, TEST_KEY_ARN } from "./support";
import { CLEAN, createIndexedTable, dayItems, ODD, odd, PER_DAY, WEEK, ZONE } from "./week";

describe("export through the day index", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  const config = configFile(ZONE, 1);
  let indexed: string;
  let plain: string;
  const all = [...WEEK.flatMap(dayItems), ...odd].sort((a, b) => ((a.id?.S ?? "") < (b.id?.S ?? "") ? -1 : 1));

  /** One day to a local file: the manifest (--json) and the CSV's bytes. */
  const exportDay = async (table: string, day: string, ...extra: string[]) => {
    const out = join(mkdtempSync(join(tmpdir(), "trace-day-index-")), "day.csv");
    const run = await runCli(["--config", config, "--json", "export", "--date", day, "--out", out, "--table", table, ...extra], { env });
    expect(run.code, run.stderr).toBe(0);
    return { manifest: JSON.parse(run.stdout), csv: readFileSync(out), stderr: run.stderr };
  };
  const ids = (csv: Buffer) =>
    parse(csv, { from_line: 2 })
      .map((r: string[]) => r[0])
      .sort();

  beforeAll(async () => {
    indexed = await createIndexedTable(clients);
    plain = await createTable(clients);
    // In id order, so moto's scan order (insertion) equals its index order (by table key): the
    // rows of a day come out in the same order on both paths (see README on row order).
    await putItems(clients, indexed, all);
    await putItems(clients, plain, all);
  });
  afterAll(() => clients.destroy());

  it("reads only the day's partition and its neighbours; the CSV is byte-identical to the scan's", async () => {
    const query = await exportDay(indexed, CLEAN);
    const scan = await exportDay(indexed, CLEAN, "--engine", "scan");
    expect(query.manifest).toMatchObject({
      readPath: "query",
      rows: PER_DAY,
      itemsRead: 3 * PER_DAY,
      readAmplification: 3,
      dayMismatch: 0,
    });
    expect(scan.manifest).toMatchObject({
      readPath: "scan",
      rows: PER_DAY,
      itemsRead: all.length,
      scannedCount: all.length,
      dayMismatch: 0,
    });
    expect(scan.manifest.readAmplification).toBeCloseTo(all.length / PER_DAY, 2);
    expect(query.csv.equals(scan.csv)).toBe(true);
    expect(query.manifest.sha256).toBe(scan.manifest.sha256);
    expect(query.manifest.columns).toEqual(scan.manifest.columns);
    expect(ids(query.csv)).toEqual(dayItems(CLEAN).map((i) => i.id?.S));
  });

  it("routes by fecha and counts, names and exports the records whose dia disagrees", async () => {
    const query = await exportDay(indexed, ODD);
    const scan = await exportDay(indexed, ODD, "--engine", "scan");
    // 18th: 20 + m-utc-writer; 19th: 20 + m-late-dia; 20th: 20.
    expect(query.manifest).toMatchObject({ readPath: "query", itemsRead: 3 * PER_DAY + 2, dayMismatch: 2 });
    expect(scan.manifest).toMatchObject({ readPath: "scan", dayMismatch: 2 });
    for (const m of [query.manifest, scan.manifest]) expect([...m.dayMismatchIds].sort()).toEqual(["m-late-dia", "m-utc-writer"]);
    expect(query.stderr).toContain("m-late-dia");
    const day = dayItems(ODD).map((i) => i.id?.S);
    // fecha decides: m-utc-writer is the 19th's, m-late-dia is not.
    expect(ids(query.csv)).toEqual([...day, "m-utc-writer"]);
    // A record without dia is invisible to the index: only the scan exports it (README: the writer's contract).
    expect(ids(scan.csv)).toEqual([...day, "m-utc-writer", "n-legacy"]);
    const next = await exportDay(indexed, addDays(ODD, 1));
    expect(ids(next.csv)).toContain("m-late-dia");
  });

  it("falls back to the scan on a table without the index, and refuses --engine query there", async () => {
    const auto = await exportDay(plain, CLEAN);
    expect(auto.manifest).toMatchObject({ readPath: "scan", itemsRead: all.length, rows: PER_DAY });
    const refused = await runCli(["--config", config, "export", "--date", CLEAN, "--out", "-", "--table", plain, "--engine", "query"], {
      env,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("dia-index");
    const bad = await runCli(["--config", config, "export", "--date", CLEAN, "--out", "-", "--table", plain, "--engine", "native"], {
      env,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--engine "native"');
  });

  it("the scheduled handler picks the query path when the index exists", async () => {
    const bucket = await createVersionedBucket(clients);
    const logger = new Logger({ serviceName: "export-test", logLevel: "CRITICAL" });
    const run = (table: string) =>
      createHandler({
        clients,
        logger,
        config: () =>
          configFromEnv({ TABLE_NAME: table, BUCKET_NAME: bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: ZONE, SCAN_SEGMENTS: "1" }),
        now: () => Date.parse("2026-11-23T18:00:05Z"),
      })({ scheduledTime: "2026-11-23T18:00:00Z" }, { getRemainingTimeInMillis: () => 900_000 });
    const viaIndex = await run(indexed);
    // Yesterday and today: partitions 21, 22, 23, 24 (empty).
    expect(viaIndex.days.map((d) => [d.date, d.rows, d.readPath, d.itemsRead])).toEqual([
      ["2026-11-22", PER_DAY, "query", 3 * PER_DAY],
      ["2026-11-23", PER_DAY, "query", 3 * PER_DAY],
    ]);
    const manifest = JSON.parse(await readText(clients, bucket, `exports/${indexed}/dt=${CLEAN}/_manifest.json`));
    expect(manifest).toMatchObject({ readPath: "query", itemsRead: 3 * PER_DAY, readAmplification: 1.5 });
    const viaScan = await run(plain);
    expect(viaScan.days.map((d) => [d.readPath, d.itemsRead])).toEqual([
      ["scan", all.length],
      ["scan", all.length],
    ]);
  });
});
