// The unattended rehearsal's worker (lambda/drill.ts) against moto, each task called as the drill
// stack's state machine calls it (prepare → poll → verify; cleanup after an error): moto's Step
// Functions cannot run Lambda tasks and moto runs no function, so the handler runs in this process,
// with the real table, bucket and key in the emulator.
import { Logger } from "@aws-lambda-powertools/logger";
import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  ListTablesCommand,
  ScanCommand,
  UpdateContinuousBackupsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../../lambda/drill";
import { lastExportedDay } from "../../../src/core/drill/day";
import type { PreparedDrill } from "../../../src/core/drill/steps";
import { dayWindow } from "../../../src/core/export/day-window";
import { exportDays } from "../../../src/core/export/export-days";
import { silentReporter } from "../../../src/core/reporter";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { createKmsKey, createStreamTable, stringKey } from "../../support/fixtures";

const clients = emulatorClients();
const TIME_ZONE = "Europe/Madrid";
const DAY = "2026-11-22";
const table = `${uniqueName("sched")}-TRAZABILIDAD`;
const bucket = uniqueName("drill-data").toLowerCase();
let kmsKeyArn = "";
let handler: ReturnType<typeof createHandler>;

beforeAll(async () => {
  await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("id") });
  await clients.dynamodb.send(
    new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
  );
  const start = dayWindow(DAY, TIME_ZONE).start;
  const records = Array.from({ length: 30 }, (_, i) => ({
    PutRequest: {
      Item: {
        id: { S: `S-${String(i).padStart(3, "0")}` },
        fecha: { S: new Date(start + i * 600_000).toISOString() },
        estado: { S: "OK" },
      },
    },
  }));
  for (let i = 0; i < records.length; i += 25)
    await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: records.slice(i, i + 25) } }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await clients.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  kmsKeyArn = await createKmsKey(clients);
  // The day the scheduled export committed: its manifest names the rows and sha256 the drill checks.
  await exportDays(
    { dynamodb: clients.dynamodb, s3: clients.s3 },
    { table, days: [DAY], timeZone: TIME_ZONE, segments: 1, target: { kind: "s3", bucket, kmsKeyId: kmsKeyArn } },
    silentReporter,
    new AbortController().signal,
  );
  handler = createHandler({
    clients: { dynamodb: clients.dynamodb, s3: clients.s3 },
    logger: new Logger({ serviceName: "trazabilidad_drill", logLevel: "SILENT" }),
    config: () => ({ table, bucket, kmsKeyArn, timeZone: TIME_ZONE, retentionDays: 3650, slackMs: 15 * 60_000, segments: 2 }),
    region: "us-east-1",
  });
});
afterAll(() => clients.destroy());

const scratchTables = async () =>
  ((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).filter((t) => t.startsWith(`${table}-drill-`));
const work = (run: string, name: string) => `drill/${table}/${run}/${name}`;

async function prepareAndRestore(run: string): Promise<{ prepared: PreparedDrill; activeAt: number }> {
  const prepared = (await handler({ step: "prepare", run })) as PreparedDrill;
  const polled = (await handler({ step: "poll", drill: prepared })) as { active: boolean; activeAt: number };
  expect(polled.active).toBe(true);
  return { prepared, activeAt: polled.activeAt };
}

describe("the scheduled drill's tasks", () => {
  it("prepare keeps its reference and the day in the bucket (SSE-KMS) and starts the restore; verify passes, reports and cleans up", async () => {
    const { prepared, activeAt } = await prepareAndRestore("run-ok");
    expect(prepared).toMatchObject({ run: "run-ok", count: 30, manifest: { date: DAY, rows: 30 }, sourceDay: { rows: 30 } });
    expect(prepared.sourceDay?.sha256).toBe(prepared.manifest?.sha256);
    expect(prepared.scratch).toMatch(new RegExp(`^${table}-drill-\\d{14}$`));
    for (const name of ["reference.json.gz", "source.csv"]) {
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: work("run-ok", name) }));
      expect(head.ServerSideEncryption, name).toBe("aws:kms");
    }
    const verdict = (await handler({ step: "verify", drill: prepared, activeAt })) as { passed: boolean; summary: string; report: string };
    expect(verdict).toEqual({ passed: true, summary: "every check passed", report: `s3://${bucket}/${work("run-ok", "report.json")}` });
    const report = JSON.parse(
      (await (
        await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: work("run-ok", "report.json") }))
      ).Body?.transformToString()) ?? "{}",
    );
    expect(report).toMatchObject({
      table,
      reference: "source-before-restore",
      counts: { source: 30, restored: 30, identical: 30 },
      scratch: "deleted",
    });
    expect(report.checks.map((c: { passed: boolean }) => c.passed)).toEqual([true, true, true, true]);
    expect(await scratchTables()).toEqual([]);
    await expect(
      clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: work("run-ok", "reference.json.gz") })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("verify fails the rehearsal of a damaged restore, naming the item, and still deletes the scratch table", async () => {
    const { prepared, activeAt } = await prepareAndRestore("run-damaged");
    const { Items } = await clients.dynamodb.send(new ScanCommand({ TableName: prepared.scratch, Limit: 1 }));
    const id = Items?.[0]?.id?.S as string;
    await clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: prepared.scratch,
        Key: { id: { S: id } },
        UpdateExpression: "SET estado = :e",
        ExpressionAttributeValues: { ":e": { S: "DAÑADO" } },
      }),
    );
    const verdict = (await handler({ step: "verify", drill: prepared, activeAt })) as { passed: boolean; summary: string };
    expect(verdict.passed).toBe(false);
    expect(verdict.summary).toContain(`items: 1 item differs: {"id":"${id}"} (estado)`);
    expect(verdict.summary).toContain(`day-export: ${DAY}: 1 row(s) differ from the source's export: ${id}`);
    expect(await scratchTables()).toEqual([]);
  });

  it("cleanup deletes the scratch table and the work objects after an error; without a prepared drill it does nothing", async () => {
    const prepared = (await handler({ step: "prepare", run: "run-broken" })) as PreparedDrill;
    expect(await scratchTables()).toEqual([prepared.scratch]);
    expect(await handler({ step: "cleanup", drill: prepared })).toEqual({ cleaned: true });
    expect(await scratchTables()).toEqual([]);
    expect(await handler({ step: "cleanup" })).toEqual({ cleaned: false });
  });

  // To a caller without s3:ListBucket S3 answers a missing key 403, not 404
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"); moto
  // answers 404, so AWS's answer is injected: the drill must find the day without reading a
  // manifest that is not there (it lists each day's key first, as its role allows).
  it("finds the last exported day without reading a manifest that is not there (AWS answers it 403)", async () => {
    const s3 = emulatorClients().s3;
    const read: string[] = [];
    s3.middlewareStack.add(
      // biome-ignore lint/suspicious/noExplicitAny: the SDK's generic middleware signature
      (next: any, context: any) => async (args: any) => {
        if (context.commandName !== "GetObjectCommand") return next(args);
        read.push(args.input.Key);
        if (!String(args.input.Key).includes(`dt=${DAY}/`))
          throw Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
        return next(args);
      },
      { step: "initialize", name: "answerMissingKeys403" },
    );
    const manifest = await lastExportedDay(s3 as never, bucket, table, "2026-11-25", 10, new AbortController().signal);
    expect(manifest).toMatchObject({ date: DAY, rows: 30 });
    expect(read).toEqual([`exports/${table}/dt=${DAY}/_manifest.json`]);
  });

  it("a task that cannot run fails loudly (the state machine catches it)", async () => {
    await clients.dynamodb.send(new DeleteTableCommand({ TableName: table }));
    await expect(handler({ step: "prepare", run: "run-gone" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
