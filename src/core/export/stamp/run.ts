/**
 * One run of the stamper, as the scheduled function does it every minute and `trace index run`
 * (or local mode) does it on demand: read the ledger, read the stream from where it stopped and
 * stamp what needs it, retry the listed failures, continue the sweep, publish the watermark.
 */
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, TraceError } from "../../errors";
import type { Reporter } from "../../reporter";
import { MAX_LISTED_FAILURES, retryFailures, type StampContext } from "./failures";
import { freshLedger, type Ledger, readLedger, writeLedger } from "./ledger";
import {
  CoverageGap,
  listShards,
  type PassContext,
  type PassCounts,
  RETENTION_SAFETY_MS,
  readShard,
  readyShards,
  reconcileShards,
  STREAM_RETENTION_MS,
  shardsWatermark,
} from "./stream-pass";
import { continueSweep } from "./sweep";

export interface StamperClients {
  dynamodb: Pick<DynamoDBClient, "send">;
  streams: Pick<DynamoDBStreamsClient, "send">;
  s3: S3Client;
}

export interface StamperConfig {
  table: string;
  bucket: string;
  kmsKeyId: string;
  timeZone: string;
  /** The table's retention in days (`expiresAt` of an item without one: write time + this). */
  retentionDays: number;
}

export interface StamperRunOptions {
  reporter: Reporter;
  signal?: AbortSignal;
  now?: () => number;
  /** Stop starting new reads this long after the start (the function keeps a margin to its timeout). */
  budgetMs?: number;
}

export interface StamperRunResult {
  table: string;
  /** Every write before this instant carries its `dia` (null: none yet). */
  watermark: string | null;
  lagSeconds: number | null;
  read: number;
  stamped: number;
  superseded: number;
  failed: number;
  late: number;
  /** Why a shard stopped at a record to retry next run. */
  retry: string | null;
  sweep: { finished: boolean; scanned: number; stamped: number };
  failures: number;
  /** Why this run started a new coverage epoch (and sweep); null when it did not. */
  reset: string | null;
  shards: number;
}

const MAX_LATE_LISTED = 100;

/** Why the ledger cannot continue as it is (its epoch must restart), or undefined. */
function staleReason(ledger: Ledger, streamArn: string, timeZone: string, now: number): string | undefined {
  if (ledger.streamArn !== streamArn) return `the table's stream is not the ledger's (${ledger.streamArn}): re-created table?`;
  if (ledger.timeZone !== timeZone) return `the business zone changed from ${ledger.timeZone} to ${timeZone}: every dia is derived again`;
  const idle = now - ledger.updatedAt;
  if (idle > STREAM_RETENTION_MS - RETENTION_SAFETY_MS)
    return `the stamper last ran ${Math.round(idle / 3_600_000)} h ago and the stream keeps records 24 h`;
  return undefined;
}

/** Runs the stamper once; returns what it did and where the watermark stands. */
export async function runStamper(clients: StamperClients, config: StamperConfig, options: StamperRunOptions): Promise<StamperRunResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: config.table }), { abortSignal: options.signal });
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn || Table?.StreamSpecification?.StreamEnabled === false)
    throw new TraceError(ErrorCode.usage, `table "${config.table}" has no stream to stamp from`, {
      hint: "deploy the traceability stack, which enables the table's stream (NEW_AND_OLD_IMAGES)",
    });
  const keyNames = (Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
  const ctx: PassContext = {
    ...clients,
    ...config,
    streamArn,
    signal: options.signal,
    now,
    deadline: started + (options.budgetMs ?? Number.POSITIVE_INFINITY),
  };
  let ledger = await readLedger(clients.s3, config.bucket, config.table, options.signal);
  let reset: string | null = null;
  const stale = ledger ? staleReason(ledger, streamArn, config.timeZone, started) : undefined;
  if (!ledger || stale) {
    reset = stale ?? null;
    ledger = restart(ledger, config, streamArn, started, stale);
  }
  if (ledger.failuresOverflow && ledger.failures.length < MAX_LISTED_FAILURES) {
    // The unlisted failures are found again by a new sweep.
    ledger.failuresOverflow = false;
    ledger.coverage.sweep = { scanned: 0, stamped: 0 };
  }
  const counts: PassCounts = { read: 0, stamped: 0, superseded: 0, failed: 0, late: [] };
  let shards = 0;
  try {
    shards = await streamPass(ctx, ledger, counts);
  } catch (error) {
    if (!(error instanceof CoverageGap)) throw error;
    reset = error.message;
    options.reporter.warn(`stamper: coverage gap, a new epoch and sweep begin: ${error.message}`, { reset: error.message });
    ledger = restart(ledger, config, streamArn, now(), error.message);
    shards = await streamPass(ctx, ledger, counts);
  }
  await retryFailures(ctx, ledger);
  await continueSweep(ctx, ledger, keyNames);
  ledger.lateStamps = [...(ledger.lateStamps ?? []), ...counts.late].slice(-MAX_LATE_LISTED);
  ledger.updatedAt = started;
  await writeLedger(clients.s3, { bucket: config.bucket, kmsKeyId: config.kmsKeyId }, ledger);
  return resultOf(ledger, counts, { reset, shards, at: now() });
}

/** A new coverage epoch; listed failures stay (their items still need the stamp). */
function restart(previous: Ledger | null, config: StamperConfig, streamArn: string, at: number, reason?: string): Ledger {
  const ledger = freshLedger(config.table, streamArn, config.timeZone, at, reason);
  if (previous) ledger.failures = previous.failures;
  return ledger;
}

/** Lists the shards, reads every ready one (parents first), publishes the watermark; returns the shard count. */
async function streamPass(ctx: PassContext & StampContext, ledger: Ledger, counts: PassCounts): Promise<number> {
  const listedAt = ctx.now();
  const listed = await listShards(ctx);
  reconcileShards(ledger, listed, listedAt);
  const visited = new Set<string>();
  for (;;) {
    const ready = readyShards(ledger, listed).filter((s) => !visited.has(s.ShardId as string));
    if (ready.length === 0 || ctx.now() >= ctx.deadline) break;
    for (const shard of ready) {
      visited.add(shard.ShardId as string);
      await readShard(ctx, ledger, shard, counts);
    }
  }
  ledger.watermark = Math.max(0, shardsWatermark(ledger, listed, listedAt));
  return listed.length;
}

function resultOf(ledger: Ledger, counts: PassCounts, run: { reset: string | null; shards: number; at: number }): StamperRunResult {
  const { sweep } = ledger.coverage;
  return {
    table: ledger.table,
    watermark: ledger.watermark > 0 ? new Date(ledger.watermark).toISOString() : null,
    lagSeconds: ledger.watermark > 0 ? Math.max(0, Math.round((run.at - ledger.watermark) / 1000)) : null,
    read: counts.read,
    stamped: counts.stamped,
    superseded: counts.superseded,
    failed: counts.failed,
    late: counts.late.length,
    retry: counts.retry ?? null,
    sweep: { finished: sweep.finishedAt !== undefined, scanned: sweep.scanned, stamped: sweep.stamped },
    failures: ledger.failures.length,
    reset: run.reset,
    shards: run.shards,
  };
}
