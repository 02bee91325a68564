// What moto's ExportTableToPointInTime writes, read by the native path's reader and formatter:
// a week in a PITR-enabled table, exported by the emulator's DynamoDB to S3; the data file's
// items, routed by fecha to one day and formatted in two phases, are byte-identical to the scan
// path's CSV of that day (`trace export --engine scan --out`). README "Big days" names moto's gaps.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeExportCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ExportTableToPointInTimeCommand,
  UpdateContinuousBackupsCommand,
} from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daysBetween, dayWindow } from "../../../src/core/export/day-window";
import { latestItems, readDataFile } from "../../../src/core/export/native/export-lines";
import { collectColumns, csvHeader, csvPart, itemsOfDay } from "../../../src/core/export/native/format-items";
import { sleep } from "../../../src/core/sleep";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createTable, createVersionedBucket, type Item, N, putItems, S } from "./support";

const ZONE = "Europe/Madrid";
const WEEK = daysBetween("2026-11-17", "2026-11-23");
const DAY = "2026-11-21";

const dayItems = (day: string): Item[] =>
  Array.from({ length: 12 }, (_, i) => ({
    id: S(`d${day}-${String(i).padStart(2, "0")}`),
    fecha: S(`${day}T${String(i * 2).padStart(2, "0")}:00:00+01:00`),
    estado: S(i % 2 ? "RECIBIDO" : "SERVIDO"),
    cantidad: N(`${i}.50`),
    ...(i % 4 === 0 ? { notas: S('caja "dañada", revisar') } : {}),
  }));

async function exportTable(dynamodb: DynamoDBClient, tableArn: string, bucket: string): Promise<string> {
  const started = await dynamodb.send(
    new ExportTableToPointInTimeCommand({
      TableArn: tableArn,
      S3Bucket: bucket,
      S3Prefix: "native",
      ExportFormat: "DYNAMODB_JSON",
      ExportType: "FULL_EXPORT",
    }),
  );
  const arn = started.ExportDescription?.ExportArn as string;
  for (let i = 0; i < 100; i++) {
    const { ExportDescription } = await dynamodb.send(new DescribeExportCommand({ ExportArn: arn }));
    if (ExportDescription?.ExportStatus === "COMPLETED") return arn;
    if (ExportDescription?.ExportStatus === "FAILED") throw new Error(`export failed: ${ExportDescription.FailureMessage}`);
    await sleep(100);
  }
  throw new Error("export did not complete");
}

describe("moto's table export read by the native path's reader", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  let table: string;
  let bucket: string;

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, WEEK.flatMap(dayItems));
  });
  afterAll(() => clients.destroy());

  it("refuses an export of a table without PITR, as DynamoDB does", async () => {
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    await expect(
      clients.dynamodb.send(new ExportTableToPointInTimeCommand({ TableArn: Table?.TableArn, S3Bucket: bucket, S3Prefix: "native" })),
    ).rejects.toThrow(/point in time|PointInTime/i);
  });

  it("writes one gzipped data file of Item lines; its day formats byte-identical to the scan path's CSV", async () => {
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    await clients.dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );
    await exportTable(clients.dynamodb, Table?.TableArn as string, bucket);
    const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "native/AWSDynamoDB/" }));
    const keys = (listed.Contents ?? []).map((o) => o.Key as string);
    // moto: one data file, no manifest-summary.json / manifest-files.json (README: emulator gap).
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^native\/AWSDynamoDB\/[0-9a-f-]+\/data\/[0-9a-f-]+\.gz$/);

    const files = await Promise.all(
      keys.map(async (key) => {
        const body = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return readDataFile(await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(), ["id"]);
      }),
    );
    expect(files[0]).toHaveLength(WEEK.length * 12);
    const window = dayWindow(DAY, ZONE);
    const perFile = files.map((lines) => itemsOfDay(latestItems(lines), window));
    const columns = collectColumns(perFile);
    const native = csvHeader(columns) + perFile.map((items) => csvPart(items, columns)).join("");

    const out = join(mkdtempSync(join(tmpdir(), "trace-native-")), "day.csv");
    const run = await runCli(
      ["--config", configFile(ZONE, 1), "--json", "export", "--date", DAY, "--out", out, "--table", table, "--engine", "scan"],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    const scan = readFileSync(out);
    expect(Buffer.from(native, "utf8").equals(scan)).toBe(true);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 12 });
  });
});
