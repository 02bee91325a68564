/**
 * `trace index status` and `trace index run`: what the stamper's ledger shows (and so which path
 * an export of yesterday and today would take now), and one stamper run on demand, the same core
 * the scheduled function runs.
 */
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import type { AwsClients } from "../../aws/clients";
import type { ResolvedEnvironment } from "../../config";
import type { Reporter } from "../../reporter";
import { resolveOutputs } from "../../resources";
import { addDays, today } from "../day-window";
import { indexUnusable } from "../read-query";
import type { Ledger } from "./ledger";
import { readLedger } from "./ledger";
import { runStamper, type StamperRunResult } from "./run";
import { trustDayIndex } from "./trust";

export interface IndexSettings {
  clients: () => Promise<Pick<AwsClients, "dynamodb" | "s3" | "cloudformation" | "streams" | "loadMore">>;
  env: () => Pick<ResolvedEnvironment, "stage" | "timeZone" | "lateWriteSlackMinutes" | "retentionDays">;
  reporter: Reporter;
  signal: AbortSignal;
  now?: () => number;
}

export interface IndexFlags {
  table?: string | undefined;
  bucket?: string | undefined;
  kmsKey?: string | undefined;
}

export interface IndexStatus {
  table: string;
  ledger: string;
  /** Why the index cannot be queried at all, or null when it is ACTIVE with the right shape. */
  indexProblem: string | null;
  found: boolean;
  timeZone: string | null;
  watermark: string | null;
  lagSeconds: number | null;
  coverageSince: string | null;
  coverageRestartedBecause: string | null;
  sweep: { finished: boolean; scanned: number; stamped: number; finishedAt: string | null } | null;
  shards: number;
  failures: Ledger["failures"];
  lateStamps: NonNullable<Ledger["lateStamps"]>;
  updatedAt: string | null;
  /** What an export of each day would do now. */
  days: { day: string; readPath: "query" | "scan"; reason: string }[];
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

async function names(settings: IndexSettings, flags: IndexFlags, withKey: boolean) {
  const clients = await settings.clients();
  const env = settings.env();
  const keys = withKey
    ? (["TrazabilidadTableName", "DataBucketName", "DataKeyArn"] as const)
    : (["TrazabilidadTableName", "DataBucketName"] as const);
  const found = await resolveOutputs(
    clients.cloudformation,
    env,
    keys,
    { TrazabilidadTableName: flags.table, DataBucketName: flags.bucket, DataKeyArn: flags.kmsKey },
    { TrazabilidadTableName: "--table", DataBucketName: "--bucket", DataKeyArn: "--kms-key" },
  );
  return { clients, env, found: found as Record<"TrazabilidadTableName" | "DataBucketName" | "DataKeyArn", string> };
}

/** The ledger, and what an export of yesterday and today would read now. */
export async function indexStatus(settings: IndexSettings, flags: IndexFlags): Promise<IndexStatus> {
  const { clients, env, found } = await names(settings, flags, false);
  const table = found.TrazabilidadTableName;
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }), { abortSignal: settings.signal });
  const ledger = await readLedger(clients.s3, found.DataBucketName, table, settings.signal);
  const now = (settings.now ?? Date.now)();
  const day = today(env.timeZone, now);
  const days = [addDays(day, -1), day].map((d) => {
    const trust = trustDayIndex({
      description: Table,
      ledger,
      days: [d],
      timeZone: env.timeZone,
      now,
      slackMs: env.lateWriteSlackMinutes * 60_000,
    });
    return { day: d, readPath: trust.readPath, reason: trust.reason };
  });
  return {
    table,
    ledger: `s3://${found.DataBucketName}/index/${table}/ledger.json`,
    indexProblem: indexUnusable(Table) ?? null,
    found: ledger !== null,
    timeZone: ledger?.timeZone ?? null,
    watermark: iso(ledger?.watermark),
    lagSeconds: ledger?.watermark ? Math.round((now - ledger.watermark) / 1000) : null,
    coverageSince: iso(ledger?.coverage.since),
    coverageRestartedBecause: ledger?.coverage.brokenBefore ?? null,
    sweep: ledger
      ? {
          finished: ledger.coverage.sweep.finishedAt !== undefined,
          scanned: ledger.coverage.sweep.scanned,
          stamped: ledger.coverage.sweep.stamped,
          finishedAt: iso(ledger.coverage.sweep.finishedAt),
        }
      : null,
    shards: ledger ? Object.keys(ledger.shards).length : 0,
    failures: ledger?.failures ?? [],
    lateStamps: ledger?.lateStamps ?? [],
    updatedAt: iso(ledger?.updatedAt),
    days,
  };
}

/** One stamper run now, in this process, until the stream is read and the sweep is done. */
export async function indexRun(settings: IndexSettings, flags: IndexFlags): Promise<StamperRunResult> {
  const { clients, env, found } = await names(settings, flags, true);
  await clients.loadMore(); // DynamoDB Streams
  const config = {
    table: found.TrazabilidadTableName,
    bucket: found.DataBucketName,
    kmsKeyId: found.DataKeyArn,
    timeZone: env.timeZone,
    retentionDays: env.retentionDays,
  };
  return runStamper(clients, config, { reporter: settings.reporter, signal: settings.signal, now: settings.now });
}
