/**
 * What an export is asked to do (days, zone, segments, target) and the checks made before any
 * record is read: the request's own sense, then the table and the bucket exist and are reachable.
 */
import type { Writable } from "node:stream";
import { DescribeTableCommand, type DescribeTableCommandOutput, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { ErrorCode, TraceError, toTraceError, usageError } from "../errors";
import type { Day } from "./day-window";
import type { SpoolDisk } from "./spool-space";

export type ExportTarget =
  | {
      kind: "s3";
      bucket: string;
      kmsKeyId: string;
      partSize?: number;
      /**
       * Check the bucket before scanning (HeadBucket, which needs s3:ListBucket). The deployed
       * function skips it: its role may only put under exports/, and its bucket is its stack's own.
       */
      checkBucket?: boolean;
    }
  | { kind: "file"; path: string }
  | { kind: "stream"; stream: Writable }
  | { kind: "none" };

export interface ExportClients {
  dynamodb: Pick<DynamoDBClient, "send">;
  /** Needed for the S3 target only. */
  s3?: S3Client;
  /** Needed for the native engine's state machine only. */
  sfn?: Pick<SFNClient, "send">;
}

export interface ExportRequest {
  /** Physical table name. */
  table: string;
  /** The days to export, each `YYYY-MM-DD` (validated by the caller). */
  days: readonly Day[];
  /** IANA business time zone deciding which day a record belongs to. */
  timeZone: string;
  segments: number;
  target: ExportTarget;
  /**
   * Escape string cells that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR
   * first) with a leading `'`, as OWASP recommends; recorded in the manifest. Default false: verbatim.
   */
  spreadsheetSafe?: boolean;
  /** Clock, for tests. */
  now?: () => number;
  /** Where day spools go (default: the OS temp dir). */
  spoolDir?: string;
  /** How the spool disk's free space is watched (the Lambda's hint names its config key; tests inject statfs). */
  spoolDisk?: SpoolDisk;
  /**
   * How to read: `query` the day index, `scan` the table (default query when the index exists), or
   * `native`: DynamoDB's export to S3, formatted from its files (S3 target only).
   */
  engine?: "scan" | "query" | "native";
  /**
   * The native engine's options: with `stateMachineArn` the deployed state machine runs each day
   * (followed here); without, the steps run in this process (late-write slack, workers, polling).
   */
  native?: { stateMachineArn?: string; slackMs?: number; concurrency?: number; pollMs?: number };
  /** Late-write slack in ms (default DEFAULT_SLACK_MS): how far past a day's end the index's stamping must be. */
  lateWriteSlackMs?: number;
  /** The data bucket holding the stamper's ledger, when the target is not that bucket (a file, stdout, a dry run). */
  ledgerBucket?: string;
  /**
   * Re-exports of days the table may no longer hold whole (reexport.ts): refused, or their exports
   * kept, unless forced. Applies to the S3 target; without it any day may be replaced.
   */
  reexport?: ReexportRule;
}

/** How re-exports of days the table may no longer hold whole are treated (reexport.ts). */
export interface ReexportRule {
  /** How many days the table keeps a record (the environment's `retentionDays`). */
  retentionDays: number;
  /** Replace the export anyway (`--force`). */
  force?: boolean;
  /** `refuse` the whole run (the CLI), or `keep` such a day's export and export the other days (the schedule). */
  beyond: "refuse" | "keep";
}

/**
 * Default late-write slack (config `lateWriteSlackMinutes`): records of a day may still be written
 * this long after it ends. The native path's incremental export covers it; the query path needs
 * the stamping to have passed it.
 */
export const DEFAULT_SLACK_MS = 15 * 60_000;

/** Days exported by one scan; a longer backfill scans once per group. */
export const MAX_DAYS_PER_SCAN = 31;
export const MAX_SEGMENTS = 64;

/** The native engine writes to the bucket only: its refusal of a dry run or a local CSV. */
export const nativeNeedsBucket = (dryRun: boolean) =>
  usageError(
    `--engine "native" assembles the CSV in the bucket, so it cannot write ${dryRun ? "a dry run" : "--out"}`,
    "drop --out / --dry-run, or read with --engine scan or --engine query",
  );

/** Throws a usage error naming the wrong value when the request makes no sense. */
export function validateRequest(request: ExportRequest): void {
  if (request.days.length === 0) throw usageError("no day to export", "pass --date YYYY-MM-DD or --from/--to");
  if (!Number.isInteger(request.segments) || request.segments < 1 || request.segments > MAX_SEGMENTS) {
    throw usageError(`segments must be an integer from 1 to ${MAX_SEGMENTS}, got ${request.segments}`, "pass --segments 4 (or so)");
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: request.timeZone });
  } catch {
    throw usageError(`time zone ${JSON.stringify(request.timeZone)} is not an IANA zone name`, "use a name such as Europe/Madrid");
  }
  if ((request.target.kind === "file" || request.target.kind === "stream") && request.days.length > 1) {
    throw usageError(
      `a local CSV holds one day; ${request.days.length} were asked for`,
      "export one --date with --out, or drop --out to write to S3",
    );
  }
  if (request.engine === "native" && request.target.kind !== "s3") throw nativeNeedsBucket(request.target.kind === "none");
  if (request.target.kind === "s3" && !request.target.kmsKeyId) {
    throw usageError("no KMS key to encrypt the export with", "pass --kms-key <arn> or deploy the base stack");
  }
}

/**
 * Fails early, before anything is scanned or written, when the table or the bucket is missing or
 * forbidden. Returns the table's description: its approximate item count (DynamoDB refreshes it
 * about every six hours) sizes the spool's disk check, its indexes choose the read path.
 */
export async function preflight(
  clients: ExportClients,
  request: ExportRequest,
  signal: AbortSignal,
): Promise<DescribeTableCommandOutput["Table"]> {
  let table: DescribeTableCommandOutput["Table"];
  try {
    ({ Table: table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: request.table }), { abortSignal: signal }));
  } catch (error) {
    const traced = toTraceError(error, `table "${request.table}"`);
    if (traced.code === ErrorCode.notFound) {
      throw new TraceError(ErrorCode.notFound, `table "${request.table}" does not exist`, {
        hint: "pass --table <name>, or check --env / --region and that the traceability stack is deployed (`trace status`)",
        cause: error,
      });
    }
    throw traced;
  }
  if (request.target.kind !== "s3" || request.target.checkBucket === false) return table;
  const { bucket } = request.target;
  if (!clients.s3) throw new TraceError(ErrorCode.failed, "no S3 client given for an S3 export");
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) {
      throw new TraceError(ErrorCode.notFound, `bucket "${bucket}" does not exist`, {
        hint: "pass --bucket <name>, or check --env / --region and that the base stack is deployed (`trace status`)",
        cause: error,
      });
    }
    if (status === 403) {
      throw new TraceError(ErrorCode.accessDenied, `access denied to bucket "${bucket}"`, {
        hint: "the credentials in use need s3:ListBucket and s3:PutObject on it (and kms:GenerateDataKey on the key)",
        cause: error,
      });
    }
    throw toTraceError(error, `bucket "${bucket}"`);
  }
  return table;
}
