// One CSV per day, byte for byte (issue 21): the same unchanged day exported by a parallel scan
// (twice; four segments of several pages each), by the day index's query and by the native path
// gives one sha256, and its rows are in the documented order (docs/export.md, "Row order"),
// checked against an order computed here from the records' known instants. On moto (scan order:
// insertion; query order: by key) and on dynalite (scan order: hash, segments interleaving from run
// to run), where the scan twice gives moto's bytes. The native path also by its worker's tasks with
// the export's data split into three files and the day cut into several time ranges.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchWriteItemCommand, CreateTableCommand, UpdateContinuousBackupsCommand } from "@aws-sdk/client-dynamodb";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inFlight } from "../../../src/core/export/in-flight";
import { objectKey } from "../../../src/core/export/manifest";
import type { NativeJob } from "../../../src/core/export/native/job";
import type { RangeRef } from "../../../src/core/export/native/phases";
import { parallelScan, SCAN_PAGE_ITEMS } from "../../../src/core/export/scan";
import { runCli } from "../../support/cli";
import { type Dynalite, startDynalite } from "../../support/dynalite";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { dealDataFile, nativeWorker, startExport } from "./native-tasks";
import { DAY, expectedIds, orderDay, ZONE } from "./order-day";
import { configFile, createVersionedBucket, putItems, readBytes, readText, TEST_KEY_ARN } from "./support";
import { createIndexedTable } from "./week";

/** 4 segments of several pages each on the scan (the table holds the day and its neighbours). */
const ROWS = 5_000;
const SEGMENTS = 4;
/** The page a segment asks for (what is in flight is shared by the segments: in-flight.ts). */
const PAGE = inFlight(SEGMENTS, SCAN_PAGE_ITEMS).pageItems;
const { items, instants } = orderDay(ROWS);
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const idsOf = (csv: Buffer) => (parse(csv, { from_line: 2 }) as string[][]).map((row) => row[0]);

describe("one CSV per day, byte for byte: moto", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  const config = configFile(ZONE, SEGMENTS);
  let table: string;
  let bucket: string;
  const csvs: Record<string, { csv: Buffer; manifest: Record<string, unknown> }> = {};

  const exportDay = async (engine: string) => {
    const target = ["--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN];
    const run = await runCli(["--config", config, "--json", "export", "--date", DAY, "--engine", engine, ...target], { env });
    expect(run.code, run.stderr).toBe(0);
    return { manifest: JSON.parse(run.stdout), csv: await readBytes(clients, bucket, objectKey(table, DAY)) };
  };

  beforeAll(async () => {
    table = await createIndexedTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, items);
    await clients.dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );
    // The stamper gives every record its dia (the writers set none), so the query path is trusted.
    const stamped = await runCli(["--config", config, "index", "run", "--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN], {
      env,
    });
    expect(stamped.code, stamped.stderr).toBe(0);
  });
  afterAll(() => clients.destroy());

  it("scan (twice), query and native give one sha256, rows in the documented order", async () => {
    for (const run of ["scan", "scan-again", "query", "native"]) csvs[run] = await exportDay(run.replace("-again", ""));
    const scan = csvs.scan as { csv: Buffer; manifest: Record<string, unknown> };
    expect(scan.manifest).toMatchObject({ rows: instants.size, readPath: "scan", segments: SEGMENTS });
    // Several pages per segment (250 items a page with 4 segments).
    expect(scan.manifest.itemsRead).toBe(items.length);
    expect(items.length / SEGMENTS / PAGE).toBeGreaterThan(4);
    expect(idsOf(scan.csv)).toEqual(expectedIds(instants));
    for (const [run, { csv, manifest }] of Object.entries(csvs)) {
      expect(sha256(csv), run).toBe(scan.manifest.sha256);
      expect(manifest.sha256, run).toBe(scan.manifest.sha256);
    }
    expect(new Set(Object.values(csvs).map((c) => c.manifest.readPath))).toEqual(new Set(["scan", "query", "native"]));
  });

  it("native by its tasks: three data files, several time ranges, the same bytes", async () => {
    const handle = nativeWorker(clients, { table, bucket, zone: ZONE });
    // About 900 rows a range: the day's ~5,000 rows in five ranges or so.
    const job: NativeJob = { ...(await startExport(handle, DAY, "order-test")), rowsPerRange: 900 };
    // Three data files, as DynamoDB writes several.
    const files = await dealDataFile(clients, bucket, handle, job, 3);
    for (const file of files) await handle({ Items: [file], BatchInput: { action: "columns", job } });
    const rangeList = (await handle({ action: "header", job })) as { key: string; count: number };
    expect(rangeList.count).toBeGreaterThanOrEqual(4);
    for (const file of files) await handle({ Items: [file], BatchInput: { action: "part", job } });
    const ranges = JSON.parse(await readText(clients, bucket, rangeList.key)) as RangeRef[];
    // Merged out of order, as a map's workers may finish: the parts still concatenate by range.
    for (const range of [...ranges].reverse()) await handle({ Items: [range], BatchInput: { action: "merge", job } });
    const manifest = (await handle({ action: "assemble", job })) as Record<string, unknown>;
    expect(manifest).toMatchObject({ rows: instants.size, segments: ranges.length, sha256: csvs.scan?.manifest.sha256 });
    expect(sha256(await readBytes(clients, bucket, objectKey(table, DAY)))).toBe(csvs.scan?.manifest.sha256);
  });

  describe("dynalite: hash-ordered scans", () => {
    let dynalite: Dynalite;
    const dynaliteTable = "TRAZABILIDAD-order";

    beforeAll(async () => {
      dynalite = await startDynalite();
      await dynalite.dynamodb.send(
        new CreateTableCommand({
          TableName: dynaliteTable,
          AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      for (let i = 0; i < items.length; i += 25) {
        const batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
        const out = await dynalite.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [dynaliteTable]: batch } }));
        expect(out.UnprocessedItems ?? {}).toEqual({});
      }
    });
    afterAll(() => dynalite?.close());

    it("reads in an order of its own: not the insertion order, not the export's", async () => {
      const read: string[] = [];
      await parallelScan(dynalite.dynamodb, {
        table: dynaliteTable,
        segments: 1,
        signal: new AbortController().signal,
        onPage: (page) => {
          for (const item of page) if (item.id?.S?.startsWith("o-")) read.push(item.id.S);
        },
      });
      expect(read).toHaveLength(instants.size);
      expect(read).not.toEqual([...instants.keys()]);
      expect(read).not.toEqual(expectedIds(instants));
    });

    it("the scan twice (4 segments, several pages each) gives moto's bytes", async () => {
      const dir = mkdtempSync(join(tmpdir(), "trace-order-"));
      const hashes: string[] = [];
      for (const run of [1, 2]) {
        const out = join(dir, `day-${run}.csv`);
        const args = ["--config", config, "--json", "export", "--date", DAY, "--table", dynaliteTable, "--out", out];
        const cli = await runCli([...args, "--segments", String(SEGMENTS)], { env: dynalite.env });
        expect(cli.code, cli.stderr).toBe(0);
        const manifest = JSON.parse(cli.stdout);
        expect(manifest).toMatchObject({ rows: instants.size, itemsRead: items.length, readPath: "scan" });
        const csv = readFileSync(out);
        expect(sha256(csv)).toBe(manifest.sha256);
        hashes.push(manifest.sha256);
      }
      expect(hashes[1]).toBe(hashes[0]);
      expect(hashes[0]).toBe(csvs.scan?.manifest.sha256);
    });
  });
});
