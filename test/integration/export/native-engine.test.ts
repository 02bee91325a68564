// The three read paths on the same day give the same CSV and manifest (except how they read):
// `trace export --engine scan | query | native` against the emulator, each to the bucket, on a
// table with the day index and point-in-time recovery. The native path runs in this process:
// moto's ExportTableToPointInTime writes the table's data file to S3 (a full export: moto does no
// incremental one, README "Big days"), the two phases format its batches into parts, and the
// assembly uploads one object. Also: no PITR → exit 2, nothing written; the run's work objects
// are removed after the commit.

import { Logger } from "@aws-lambda-powertools/logger";
import { UpdateContinuousBackupsCommand } from "@aws-sdk/client-dynamodb";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler as createNative, configFromEnv as nativeConfigFromEnv } from "../../../lambda/export-native";
import { manifestKey, objectKey } from "../../../src/core/export/manifest";
import type { ExportState, FileRef, NativeJob } from "../../../src/core/export/native/job";
import type { RangeRef } from "../../../src/core/export/native/phases";
import { sleep } from "../../../src/core/sleep";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createVersionedBucket, type Item, putItems, readBytes, readText, S, TEST_KEY_ARN } from "./support";
import { CLEAN, createIndexedTable, dayItems, ODD, odd, WEEK, ZONE } from "./week";

/** Fields that say how a day was read (or what it replaced), not what was exported. */
const HOW = [
  "readPath",
  "readPathReason",
  "indexWatermark",
  "itemsRead",
  "scannedCount",
  "segments",
  "readAmplification",
  "startedAt",
  "finishedAt",
  "csvVersionId",
  "replacesRows",
];
const what = (manifest: Record<string, unknown>) => Object.fromEntries(Object.entries(manifest).filter(([k]) => !HOW.includes(k)));

describe("trace export --engine native: the same CSV as the table reads", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  const config = configFile(ZONE, 1);
  let table: string;
  let bucket: string;
  // In the clean day's partition, so that every path reads it (and counts it) for that day.
  const unreadable: Item = { id: S("u-no-offset"), fecha: S("2026-11-22T10:00"), dia: S(CLEAN), estado: S("X") };

  const exportDay = async (day: string, engine: string) => {
    const run = await runCli(
      [
        "--config",
        config,
        "--json",
        "export",
        "--date",
        day,
        "--engine",
        engine,
        "--table",
        table,
        "--bucket",
        bucket,
        "--kms-key",
        TEST_KEY_ARN,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout);
    const stored = JSON.parse(await readText(clients, bucket, manifestKey(table, day)));
    return { printed, stored, csv: await readBytes(clients, bucket, objectKey(table, day)), stderr: run.stderr };
  };

  const enablePitr = () =>
    clients.dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );

  beforeAll(async () => {
    table = await createIndexedTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, [...WEEK.flatMap(dayItems), ...odd, unreadable]);
  });
  afterAll(() => clients.destroy());

  it("refuses a table without point-in-time recovery (exit 2), writing nothing", async () => {
    const run = await runCli(
      [
        "--config",
        config,
        "export",
        "--date",
        CLEAN,
        "--engine",
        "native",
        "--table",
        table,
        "--bucket",
        bucket,
        "--kms-key",
        TEST_KEY_ARN,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("point-in-time recovery is off");
    const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it("a day with odd records, before the stamper has run: native counts and names them as the scan does, and exports the same rows", async () => {
    await enablePitr();
    const scan = await exportDay(ODD, "scan");
    const native = await exportDay(ODD, "native");
    expect(native.csv.equals(scan.csv)).toBe(true);
    expect(what(native.stored)).toEqual(what(scan.stored));
    expect(native.stored).toMatchObject({ unreadableFecha: 1, unreadableFechaIds: ["u-no-offset"], dayMismatch: 2 });
    expect(native.stderr).toContain("unreadable fecha");
    expect(native.stderr).toContain("disagrees with their fecha");
  });

  it("a clean day: scan, query and native give byte-identical CSVs and equal manifests but for how they read", async () => {
    await enablePitr();
    // The stamper gives every record its dia (the writers set none): the index can be queried.
    const stamped = await runCli(["--config", config, "index", "run", "--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN], {
      env,
    });
    expect(stamped.code, stamped.stderr).toBe(0);
    const scan = await exportDay(CLEAN, "scan");
    const query = await exportDay(CLEAN, "query");
    const native = await exportDay(CLEAN, "native");
    expect(native.csv.equals(scan.csv)).toBe(true);
    expect(query.csv.equals(scan.csv)).toBe(true);
    expect(native.stored).toEqual(native.printed);
    expect(what(native.stored)).toEqual(what(scan.stored));
    expect(what(query.stored)).toEqual(what(scan.stored));
    expect([scan.stored.readPath, query.stored.readPath, native.stored.readPath]).toEqual(["scan", "query", "native"]);
    // The native path read the whole table from the export file (moto's export is always full).
    const total = WEEK.length * dayItems(CLEAN).length + odd.length + 1;
    expect(native.stored).toMatchObject({ rows: 20, itemsRead: total, dryRun: false, complete: true, unreadableFecha: 1 });
    expect(native.stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The run's work objects (the export's files, the parts) are gone; the CSV and manifest stay.
    const work = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "native/" }));
    expect(work.Contents ?? []).toEqual([]);
  });

  it("the worker's tasks, called as the state machine calls them (lambda/export-native.ts), commit the same CSV", async () => {
    const scan = await exportDay(CLEAN, "scan");
    const handle = createNative({
      clients: { dynamodb: clients.dynamodb, s3: clients.s3 },
      logger: new Logger({ serviceName: "native-test", logLevel: "CRITICAL" }),
      config: () => nativeConfigFromEnv({ TABLE_NAME: table, BUCKET_NAME: bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: ZONE }),
    });
    const job = (await handle({ action: "start", day: CLEAN, runId: "2026-11-22-test" })) as NativeJob;
    expect(job.work).toBe(`native/${table}/dt=${CLEAN}/2026-11-22-test`);
    while (((await handle({ action: "poll", job })) as ExportState).status !== "COMPLETED") await sleep(50);
    const list = (await handle({ action: "files", job })) as { bucket: string; key: string; count: number };
    const files = JSON.parse(await readText(clients, list.bucket, list.key)) as FileRef[];
    expect(files).toHaveLength(list.count);
    // The map's ItemBatcher hands each worker a batch: one file per batch here.
    for (const file of files) await handle({ Items: [file], BatchInput: { action: "columns", job } });
    const listed = (await handle({ action: "header", job })) as { bucket: string; key: string; count: number };
    for (const file of files) await handle({ Items: [file], BatchInput: { action: "part", job } });
    // The range map's ItemBatcher hands each worker one time range.
    const ranges = JSON.parse(await readText(clients, listed.bucket, listed.key)) as RangeRef[];
    expect(ranges).toHaveLength(listed.count);
    for (const range of ranges) await handle({ Items: [range], BatchInput: { action: "merge", job } });
    const manifest = (await handle({ action: "assemble", job })) as Record<string, unknown>;
    expect((await readBytes(clients, bucket, objectKey(table, CLEAN))).equals(scan.csv)).toBe(true);
    expect(what(manifest)).toEqual(what(scan.stored));
    expect(JSON.parse(await readText(clients, bucket, manifestKey(table, CLEAN)))).toEqual(manifest);
  });
});
