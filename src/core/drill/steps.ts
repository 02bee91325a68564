/**
 * The scheduled drill: `trace drill`'s default point-in-time drill of TRAZABILIDAD, cut into the
 * tasks of the drill stack's state machine (lambda/drill.ts), because a restore takes longer than
 * a function may run (at least 20 minutes for point in time, docs/recovery.md):
 * - `prepare`: read the source (its digests and the last exported day), start the restore to the
 *   instant that read ended, and keep what later tasks need in the data bucket under
 *   `drill/<table>/<run>/` (the digests, the day's CSV), SSE-KMS with the data key;
 * - `poll`: is the scratch table ACTIVE yet (the state machine waits between polls);
 * - `verify`: the rest of the drill (compare, the day, delete the scratch table), the report
 *   written to `drill/<table>/<run>/report.json`; the execution fails when a check fails;
 * - `cleanup`: after an error, the scratch table and the work objects go.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, TraceError } from "../errors";
import type { ExportManifest } from "../export/manifest";
import type { Reporter } from "../reporter";
import { conclude, type Drill, type DrillEnv, type DrillSettings, dayToCheck, readSource } from "./phases";
import { planDrill } from "./plan";
import { chooseRecovery } from "./recovery";
import type { DrillReport } from "./report";
import { deleteScratch, startRestore } from "./restore";
import { scratchName } from "./run";
import { describeSource } from "./source";

export interface DrillStepConfig {
  table: string;
  bucket: string;
  kmsKeyArn: string;
  timeZone: string;
  retentionDays: number;
  slackMs: number;
  segments: number;
}

export interface DrillStepClients {
  dynamodb: Pick<DynamoDBClient, "send">;
  s3: Pick<S3Client, "send">;
}

/** What `prepare` hands the later tasks, through the state machine (small: the rest is in the bucket). */
export interface PreparedDrill {
  run: string;
  scratch: string;
  restorePoint: string;
  drillStartedAt: number;
  requestedAt: number;
  startedAt: number;
  rpo: DrillReport["rpo"];
  count: number;
  manifest: ExportManifest | null;
  sourceDay: { sha256: string; rows: number } | null;
}

export type DrillTask =
  | { step: "prepare"; run: string }
  | { step: "poll"; drill: PreparedDrill }
  | { step: "verify"; drill: PreparedDrill; activeAt: number }
  | { step: "cleanup"; drill?: PreparedDrill };

export interface StepContext {
  clients: DrillStepClients;
  config: DrillStepConfig;
  reporter: Reporter;
  signal: AbortSignal;
  now?: () => number;
  /** How long `prepare` may wait for its restore point to become restorable, ms. */
  restorableWithinMs?: number;
}

const SEED = "TRAZABILIDAD";
const work = (config: DrillStepConfig, run: string, name: string) => `drill/${config.table}/${run}/${name}`;

/** The environment of the scheduled run, from the function's configuration (its prefix is the table's). */
function envOf(context: StepContext, region: string): DrillEnv {
  const { config } = context;
  return {
    name: "scheduled",
    stage: "scheduled",
    region,
    prefix: config.table.endsWith(SEED) ? config.table.slice(0, -SEED.length) : "",
    timeZone: config.timeZone,
    lateWriteSlackMinutes: config.slackMs / 60_000,
    retentionDays: config.retentionDays,
    exportSegments: config.segments,
    backups: false,
    drRegion: undefined,
  };
}

/** A drill context for the function's region: no CloudFormation (every name comes from the configuration). */
async function drillOf(context: StepContext, scratch: string, region: string, dir: string, prepared?: PreparedDrill): Promise<Drill> {
  const noCloudFormation = {
    send: () => Promise.reject(new TraceError(ErrorCode.failed, "the scheduled drill reads no stack")),
  } as unknown as CloudFormationClient;
  const home = {
    dynamodb: context.clients.dynamodb,
    cloudformation: noCloudFormation,
    backup: () => Promise.reject(new Error("no AWS Backup")),
  };
  const settings: DrillSettings = {
    clients: async () => ({ ...home, s3: context.clients.s3 }) as never,
    env: () => envOf(context, region),
    regionClients: async () => home as never,
    reporter: context.reporter,
    signal: context.signal,
    now: context.now,
    bucket: context.config.bucket,
    timing: context.restorableWithinMs === undefined ? undefined : { restorableWithinMs: context.restorableWithinMs },
  };
  const env = envOf(context, region);
  const plan = planDrill({}, (context.now ?? Date.now)());
  const source = await describeSource(home, env, context.config.table, context.signal);
  const recovery = prepared
    ? {
        source: undefined,
        kind: "pitr" as const,
        recoveryPoint: null,
        where: "point-in-time recovery",
        restorePoint: new Date(prepared.restorePoint),
        rpo: prepared.rpo,
        region,
      }
    : await chooseRecovery({
        plan,
        env,
        table: source.table,
        tableArn: source.arn,
        clients: settings.regionClients,
        now: (context.now ?? Date.now)(),
        signal: context.signal,
      });
  const manifest = prepared
    ? (prepared.manifest ?? undefined)
    : await dayToCheck(await settings.clients(), env, source, recovery, settings);
  return {
    settings,
    plan,
    env,
    source,
    recovery,
    target: home as never,
    scratch,
    startedAt: prepared?.drillStartedAt ?? (context.now ?? Date.now)(),
    manifest,
    dir,
  };
}

/** Runs one task of the scheduled drill. */
export async function runDrillTask(context: StepContext, task: DrillTask, region: string): Promise<unknown> {
  switch (task.step) {
    case "prepare":
      return prepare(context, task.run, region);
    case "poll":
      return poll(context, task.drill);
    case "verify":
      return verify(context, task.drill, task.activeAt, region);
    case "cleanup":
      return cleanup(context, task.drill);
  }
}

async function prepare(context: StepContext, run: string, region: string): Promise<PreparedDrill> {
  const now = context.now ?? Date.now;
  const dir = await mkdtemp(join(tmpdir(), "trace-drill-"));
  try {
    const drill = await drillOf(context, scratchName(context.config.table, now()), region, dir);
    const read = await readSource(drill);
    const restorePoint = new Date(Math.ceil(now() / 1000) * 1000);
    await put(context, work(context.config, run, "reference.json.gz"), gzipSync(JSON.stringify([...read.reference])));
    if (read.sourceDay) await put(context, work(context.config, run, "source.csv"), await readFile(read.sourceDay.path));
    const started = await startRestore(
      { dynamodb: context.clients.dynamodb },
      { kind: "pitr", restoreDateTime: restorePoint },
      drill.source.table,
      drill.scratch,
      context.signal,
      drill.settings.timing,
    );
    return {
      run,
      scratch: drill.scratch,
      restorePoint: restorePoint.toISOString(),
      drillStartedAt: drill.startedAt,
      requestedAt: started.requestedAt,
      startedAt: started.startedAt,
      rpo: drill.recovery.rpo,
      count: read.count,
      manifest: drill.manifest ?? null,
      sourceDay: read.sourceDay ? { sha256: read.sourceDay.sha256, rows: read.sourceDay.rows } : null,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function poll(context: StepContext, drill: PreparedDrill): Promise<{ active: boolean; activeAt: number | null }> {
  const { Table } = await context.clients.dynamodb.send(new DescribeTableCommand({ TableName: drill.scratch }), {
    abortSignal: context.signal,
  });
  const active = Table?.TableStatus === "ACTIVE" && !Table.RestoreSummary?.RestoreInProgress;
  return { active, activeAt: active ? (context.now ?? Date.now)() : null };
}

async function verify(
  context: StepContext,
  prepared: PreparedDrill,
  activeAt: number,
  region: string,
): Promise<{ passed: boolean; summary: string; report: string }> {
  const dir = await mkdtemp(join(tmpdir(), "trace-drill-"));
  try {
    const drill = await drillOf(context, prepared.scratch, region, dir, prepared);
    const entries = JSON.parse(
      gunzipSync(await get(context, work(context.config, prepared.run, "reference.json.gz"))).toString("utf8"),
    ) as [string, string][];
    let sourceDay: { sha256: string; rows: number; path: string } | undefined;
    if (prepared.sourceDay) {
      const path = join(dir, "source.csv");
      await writeFile(path, await get(context, work(context.config, prepared.run, "source.csv")));
      sourceDay = { ...prepared.sourceDay, path };
    }
    const restored = { requestedAt: prepared.requestedAt, startedAt: prepared.startedAt, activeAt };
    const report = await conclude(
      drill,
      { reference: new Map(entries), count: prepared.count, sourceDay },
      new Date(prepared.restorePoint),
      restored,
    );
    const key = work(context.config, prepared.run, "report.json");
    await put(context, key, Buffer.from(`${JSON.stringify(report, null, 2)}\n`));
    await removeWork(context, prepared.run);
    const failed = report.checks.filter((c) => c.passed === false).map((c) => `${c.name}: ${c.summary}`);
    return {
      passed: report.passed,
      summary: failed.length ? failed.join("; ") : "every check passed",
      report: `s3://${context.config.bucket}/${key}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function cleanup(context: StepContext, prepared: PreparedDrill | undefined): Promise<{ cleaned: boolean }> {
  if (!prepared) return { cleaned: false };
  await deleteScratch(context.clients.dynamodb, prepared.scratch);
  await removeWork(context, prepared.run);
  return { cleaned: true };
}

async function put(context: StepContext, key: string, body: Buffer): Promise<void> {
  await context.clients.s3.send(
    new PutObjectCommand({
      Bucket: context.config.bucket,
      Key: key,
      Body: body,
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: context.config.kmsKeyArn,
    }),
    { abortSignal: context.signal },
  );
}

async function get(context: StepContext, key: string): Promise<Buffer> {
  const out = await context.clients.s3.send(new GetObjectCommand({ Bucket: context.config.bucket, Key: key }), {
    abortSignal: context.signal,
  });
  return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
}

/** The work objects go once the drill is over; the report stays. */
async function removeWork(context: StepContext, run: string): Promise<void> {
  for (const name of ["reference.json.gz", "source.csv"])
    await context.clients.s3.send(new DeleteObjectCommand({ Bucket: context.config.bucket, Key: work(context.config, run, name) }), {
      abortSignal: context.signal,
    });
}
