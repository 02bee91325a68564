/**
 * The stamper's ledger: one JSON object per table in the data bucket,
 * `index/<table>/ledger.json`, written by the stamper only (one run at a time: the function's
 * reserved concurrency is 1) and read by the export to decide whether the day index can be
 * trusted. It holds where the stamper is in each shard of the table's stream, the watermark
 * (every stream record created before it has been stamped), the coverage epoch (since when no
 * record can have been missed, and the sweep that stamped what was written before), and the
 * records that could not be stamped, each kept whole beside it.
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { getJson, putJson } from "../native/objects";

export const LEDGER_VERSION = 1;

/** Where a table's stamping state lives in the data bucket. */
export const ledgerPrefix = (table: string) => `index/${table}`;
export const ledgerKey = (table: string) => `${ledgerPrefix(table)}/ledger.json`;

export interface ShardState {
  /** Last sequence number stamped (or found needing nothing); absent until the shard is read. */
  seq?: string;
  /** Closed and read to its end: nothing more will come from it. */
  done?: boolean;
  /** Epoch ms: every record of this shard created before it has been handled. */
  mark?: number;
  /** Epoch ms when the shard was first listed (a shard never read within the stream's 24 h loses records). */
  listedAt: number;
}

/** A record whose stamp failed (the item too large to take `dia`, say), kept whole at `kept`. */
export interface StampFailure {
  /** The key attributes as JSON (DynamoDB JSON), to retry the stamp. */
  key: string;
  /** The `dia` it needs: the export of that day cannot trust the index while this is here. */
  day: string;
  /** S3 key of the whole record (stream record, or the item for a sweep). */
  kept: string;
  reason: string;
  /** Epoch ms of the first failure. */
  at: number;
}

export interface SweepState {
  /** Epoch ms the sweep's scan began (after this coverage epoch's first stream read). */
  startedAt?: number;
  finishedAt?: number;
  /** The scan's LastEvaluatedKey as DynamoDB JSON, to resume in the next run. */
  cursor?: string;
  scanned: number;
  stamped: number;
}

export interface Ledger {
  version: typeof LEDGER_VERSION;
  table: string;
  /** The stream the positions belong to (a re-created table has another). */
  streamArn: string;
  /** The business zone the days were derived in. */
  timeZone: string;
  /**
   * The coverage epoch: from `since` on, every stream record is read (the shards' positions are
   * continuous); the sweep stamps what was written before. A gap (the stamper stopped for longer
   * than the stream keeps records) starts a new epoch and a new sweep.
   */
  coverage: { since: number; sweep: SweepState; brokenBefore?: string };
  /** Epoch ms: every record created in the stream before it has been stamped (or needed nothing). */
  watermark: number;
  shards: Record<string, ShardState>;
  failures: StampFailure[];
  /** More failures than the ledger lists: no day can trust the index until a new sweep lists them. */
  failuresOverflow?: boolean;
  /**
   * Records stamped although created before the watermark published then (a record the stream
   * made readable later than STREAM_MARGIN_MS): an export of that day in between may lack it.
   * The latest 100, for `trace index status` and the log's alarm.
   */
  lateStamps?: { day: string; key: string; at: number }[];
  updatedAt: number;
}

/**
 * The table's ledger, or null when none has been written. Looked for with a listing of its one
 * key first: without s3:ListBucket S3 answers a missing key 403, which cannot be told from a
 * denial, and the roles may list exactly that prefix (the templates' FindLedger statements).
 */
export async function readLedger(s3: S3Client, bucket: string, table: string, signal?: AbortSignal): Promise<Ledger | null> {
  const key = ledgerKey(table);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }), { abortSignal: signal });
  if (!listed.Contents?.some((o) => o.Key === key)) return null;
  return getJson<Ledger>(s3, bucket, key, signal);
}

export async function writeLedger(s3: S3Client, at: { bucket: string; kmsKeyId: string }, ledger: Ledger): Promise<void> {
  await putJson(s3, at, ledgerKey(ledger.table), ledger);
}

/** A new ledger: a coverage epoch starting now, nothing read, nothing swept. */
export function freshLedger(table: string, streamArn: string, timeZone: string, now: number, brokenBefore?: string): Ledger {
  return {
    version: LEDGER_VERSION,
    table,
    streamArn,
    timeZone,
    coverage: { since: now, sweep: { scanned: 0, stamped: 0 }, ...(brokenBefore ? { brokenBefore } : {}) },
    watermark: 0,
    shards: {},
    failures: [],
    updatedAt: now,
  };
}
