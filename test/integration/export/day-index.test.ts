// The day index on the emulator, with records written as the brief's writers write them (id,
// fecha, estado and more, never `dia`) and a few with a wrong `dia` of their own: the export scans
// (and says why) until the stamper's ledger shows the index complete; `trace index run` (the
// scheduled stamper's core) gives every record its dia from fecha; then the export queries only
// the day's partition and exports exactly the rows the scan does. CLI and scheduled handler.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, createHandler } from "../../../lambda/export";
import { addDays } from "../../../src/core/export/day-window";
import { dayOfFecha } from "../../../src/core/export/fecha-day";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createTable, createVersionedBucket, putItems, readText, TEST_KEY_ARN } from "./support";
import { CLEAN, createIndexedTable, dayItems, ODD, odd, PER_DAY, WEEK, ZONE } from "./week";

describe("export through the day index the product keeps", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  const config = configFile(ZONE, 1);
  let indexed: string;
  let plain: string;
  let bucket: string;
  const all = [...WEEK.flatMap(dayItems), ...odd].sort((a, b) => ((a.id?.S ?? "") < (b.id?.S ?? "") ? -1 : 1));
  const where = () => ["--table", indexed, "--bucket", bucket];

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
  const rows = (csv: Buffer) => parse(csv).slice(1).map(String).sort();
  const stamp = async () => {
    const run = await runCli(["--config", config, "--json", "index", "run", ...where(), "--kms-key", TEST_KEY_ARN], { env });
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout);
  };

  beforeAll(async () => {
    indexed = await createIndexedTable(clients);
    plain = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, indexed, all);
    await putItems(clients, plain, all);
  });
  afterAll(() => clients.destroy());

  it("before the stamper has run, the default export scans, says why, and exports every record", async () => {
    const day = await exportDay(indexed, ODD, "--bucket", bucket);
    expect(day.manifest).toMatchObject({ readPath: "scan", rows: PER_DAY + 2, itemsRead: all.length, indexWatermark: null });
    expect(day.manifest.readPathReason).toContain("stamper has not run");
    expect(day.stderr).toContain("cannot be shown complete");
    // The writers' own wrong dia is counted and named; fecha decides the day.
    expect([...day.manifest.dayMismatchIds].sort()).toEqual(["m-late-dia", "m-utc-writer"]);
    expect(ids(day.csv)).toEqual([...dayItems(ODD).map((i) => i.id?.S), "m-utc-writer", "n-legacy"].sort());
    // --engine query cannot do better while the index is unproven: it scans too, and says so.
    const asked = await exportDay(indexed, ODD, "--bucket", bucket, "--engine", "query");
    expect(asked.manifest).toMatchObject({ readPath: "scan", rows: PER_DAY + 2 });
    // Without the data bucket the ledger cannot be looked for at all: the export scans and says so.
    const blind = await exportDay(indexed, ODD);
    expect(blind.manifest.readPathReason).toContain("data bucket is not known");
  });

  it("`trace index run` gives every record its dia from fecha, and corrects the writers' wrong ones", async () => {
    const result = await stamp();
    expect(result).toMatchObject({ stamped: all.length, failed: 0, failures: 0, sweep: { finished: true } });
    expect(result.watermark).not.toBeNull();
    const { Items = [] } = await clients.dynamodb.send(new ScanCommand({ TableName: indexed }));
    expect(Items).toHaveLength(all.length);
    for (const item of Items) expect(item.dia?.S, item.id?.S).toBe(dayOfFecha(item.fecha, ZONE));
    // A second run finds nothing to do: the stamper's own updates carry the right dia.
    expect(await stamp()).toMatchObject({ stamped: 0, failed: 0 });
  });

  it("then reads only the day's partition, and exports exactly the scan's rows", async () => {
    const query = await exportDay(indexed, CLEAN, "--bucket", bucket);
    const scan = await exportDay(indexed, CLEAN, "--engine", "scan");
    expect(query.manifest).toMatchObject({ readPath: "query", rows: PER_DAY, itemsRead: PER_DAY, readAmplification: 1, complete: true });
    expect(query.manifest.readPathReason).toContain("carries its dia");
    expect(Date.parse(query.manifest.indexWatermark)).toBeGreaterThan(Date.parse(query.manifest.windowEnd));
    expect(scan.manifest).toMatchObject({ readPath: "scan", rows: PER_DAY, itemsRead: all.length, readPathReason: "--engine scan" });
    expect(rows(query.csv)).toEqual(rows(scan.csv));
    expect(query.manifest.columns).toEqual(scan.manifest.columns);
    // dia is the product's own attribute: never a column, so stamping does not change a day's CSV.
    expect(query.manifest.columns).not.toContain("dia");
  });

  it("the odd day: the record the writer dated with UTC and the one without dia are in; the wrong-dia one is the next day's", async () => {
    const query = await exportDay(indexed, ODD, "--bucket", bucket);
    expect(query.manifest).toMatchObject({ readPath: "query", rows: PER_DAY + 2, itemsRead: PER_DAY + 2, dayMismatch: 0 });
    expect(ids(query.csv)).toEqual([...dayItems(ODD).map((i) => i.id?.S), "m-utc-writer", "n-legacy"].sort());
    const next = await exportDay(indexed, addDays(ODD, 1), "--bucket", bucket);
    expect(next.manifest.readPath).toBe("query");
    expect(ids(next.csv)).toContain("m-late-dia");
  });

  it("falls back to the scan on a table without the index, and refuses --engine query there", async () => {
    const auto = await exportDay(plain, CLEAN);
    expect(auto.manifest).toMatchObject({ readPath: "scan", itemsRead: all.length, rows: PER_DAY });
    expect(auto.manifest.readPathReason).toContain("no dia-index");
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

  it("the scheduled handler queries when the ledger is fresh, and scans when the stamping is behind", async () => {
    const logger = new Logger({ serviceName: "export-test", logLevel: "CRITICAL" });
    const ledger = JSON.parse(await readText(clients, bucket, `index/${indexed}/ledger.json`));
    const run = (table: string, at: number) =>
      createHandler({
        clients,
        logger,
        config: () =>
          configFromEnv({ TABLE_NAME: table, BUCKET_NAME: bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: ZONE, SCAN_SEGMENTS: "1" }),
        now: () => at,
      })({ scheduledTime: new Date(at).toISOString() }, { getRemainingTimeInMillis: () => 900_000 });
    // Run as if at 19:00 of the day after CLEAN, a minute after the stamper's watermark.
    const fresh = await run(indexed, ledger.watermark + 60_000);
    expect(fresh.days.every((d) => d.readPath === "query")).toBe(true);
    // Run 20 minutes after the watermark: the stamping is behind the 15-minute slack.
    const stale = await run(indexed, ledger.watermark + 20 * 60_000);
    expect(stale.days.map((d) => d.readPath)).toEqual(["scan", "scan"]);
    expect(stale.days[0]?.readPathReason).toContain("the stamping is behind");
    const viaScan = await run(plain, ledger.watermark + 60_000);
    expect(viaScan.days.map((d) => d.readPath)).toEqual(["scan", "scan"]);
  });
});
