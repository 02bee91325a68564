/**
 * The native path's first steps, shared by the state machine's tasks and the in-process run:
 * start DynamoDB's export of the day (incremental windows or a full export, `windows.ts`), follow
 * it, and list its data files. Everything a later step needs travels in the `NativeJob` (the
 * state machine's state): the export's S3 layout is `<work>/export-<k>/AWSDynamoDB/<id>/data/*`,
 * one `export-<k>` per window, so a file's window is known from its key.
 */
import { randomUUID } from "node:crypto";
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ExportTableToPointInTimeCommand,
} from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, TraceError } from "../../errors";
import { type Day, type DayWindow, dayWindow } from "../day-window";
import { listKeys, putJson } from "./objects";
import { type NativeExportPlan, planNativeExport } from "./windows";

export interface NativeClients {
  dynamodb: Pick<DynamoDBClient, "send">;
  s3: S3Client;
}

/** What the native run of one day carries from step to step (JSON: it is the state machine's state). */
export interface NativeJob {
  table: string;
  tableArn: string;
  /** The table's key attribute names (an item's identity in the export's lines). */
  keyNames: string[];
  day: Day;
  timeZone: string;
  window: DayWindow;
  bucket: string;
  kmsKeyId: string;
  /** This run's S3 prefix for the export's files and the CSV parts (no trailing slash). */
  work: string;
  spreadsheetSafe: boolean;
  plan: Exclude<NativeExportPlan, { type: "UNAVAILABLE" }>;
  /** Export ARNs, one per window (one for a full export). */
  exports: string[];
  /** Epoch ms. */
  startedAt: number;
  /** Rows a time range of the day holds, about (phases.ts; default ROWS_PER_RANGE). */
  rowsPerRange?: number;
}

/** One data file of the export: its key, the index of its window, and its place in the order. */
export interface FileRef {
  key: string;
  window: number;
  index: number;
}

export interface NativeStart {
  table: string;
  day: Day;
  timeZone: string;
  bucket: string;
  kmsKeyId: string;
  spreadsheetSafe: boolean;
  /** How long after the day's end records dated that day may still be written. */
  slackMs: number;
  now: number;
  /** Names the run's work prefix; default a fresh id (the state machine passes its execution name). */
  runId?: string;
  /** Rows a time range of the day holds, about (default ROWS_PER_RANGE). */
  rowsPerRange?: number;
}

/** The run's work prefix: `native/<table>/dt=<day>/<runId>`. */
export const workPrefix = (table: string, day: Day, runId: string) => `native/${table}/dt=${day}/${runId}`;

/**
 * Plans the day's export and starts it (one ExportTableToPointInTime per window; idempotent per
 * run through ClientToken). Throws a usage error when the table cannot be exported (no PITR).
 */
export async function startNativeExport(clients: NativeClients, input: NativeStart, signal?: AbortSignal): Promise<NativeJob> {
  const opts = { abortSignal: signal };
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: input.table }), opts);
  const backups = await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: input.table }), opts);
  const pitr = backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
  const window = dayWindow(input.day, input.timeZone);
  const plan = planNativeExport({
    window,
    slackMs: input.slackMs,
    pitrEnabled: pitr?.PointInTimeRecoveryStatus === "ENABLED",
    earliestRestorable: pitr?.EarliestRestorableDateTime?.getTime(),
    now: input.now,
  });
  if (plan.type === "UNAVAILABLE") {
    throw new TraceError(ErrorCode.usage, `table "${input.table}" cannot be exported by DynamoDB: ${plan.reason}`, {
      hint: "enable point-in-time recovery on it (the traceability stack does), or export with --engine scan",
    });
  }
  const runId = input.runId ?? `${new Date(input.now).toISOString().replace(/[-:.]/g, "")}-${randomUUID().slice(0, 8)}`;
  const work = workPrefix(input.table, input.day, runId);
  const common = {
    TableArn: Table?.TableArn,
    S3Bucket: input.bucket,
    S3SseAlgorithm: "KMS" as const,
    S3SseKmsKeyId: input.kmsKeyId,
    ExportFormat: "DYNAMODB_JSON" as const,
  };
  const requests =
    plan.type === "FULL_EXPORT"
      ? [{ ...common, S3Prefix: `${work}/export-0`, ExportType: "FULL_EXPORT" as const }]
      : plan.windows.map((w, k) => ({
          ...common,
          S3Prefix: `${work}/export-${k}`,
          ExportType: "INCREMENTAL_EXPORT" as const,
          IncrementalExportSpecification: {
            ExportFromTime: new Date(w.from),
            ExportToTime: new Date(w.to),
            ExportViewType: "NEW_IMAGE" as const,
          },
        }));
  const exports: string[] = [];
  for (const [k, request] of requests.entries()) {
    const started = await clients.dynamodb.send(new ExportTableToPointInTimeCommand({ ...request, ClientToken: `${runId}-${k}` }), opts);
    exports.push(started.ExportDescription?.ExportArn as string);
  }
  return {
    table: input.table,
    tableArn: Table?.TableArn as string,
    keyNames: (Table?.KeySchema ?? []).map((k) => k.AttributeName as string),
    day: input.day,
    timeZone: input.timeZone,
    window,
    bucket: input.bucket,
    kmsKeyId: input.kmsKeyId,
    work,
    spreadsheetSafe: input.spreadsheetSafe,
    plan,
    exports,
    startedAt: input.now,
    ...(input.rowsPerRange ? { rowsPerRange: input.rowsPerRange } : {}),
  };
}

export interface ExportState {
  status: "IN_PROGRESS" | "COMPLETED";
  completed: number;
  total: number;
}

/** Where the job's exports stand; throws when one of them failed. */
export async function exportState(clients: NativeClients, job: NativeJob, signal?: AbortSignal): Promise<ExportState> {
  let completed = 0;
  for (const arn of job.exports) {
    const { ExportDescription: d } = await clients.dynamodb.send(new DescribeExportCommand({ ExportArn: arn }), { abortSignal: signal });
    if (d?.ExportStatus === "FAILED") {
      throw new TraceError(
        ErrorCode.failed,
        `DynamoDB's export of ${job.table} for ${job.day} failed: ${d.FailureCode ?? ""} ${d.FailureMessage ?? ""}`.trim(),
        {
          hint: "see the export in the DynamoDB console (Exports to S3), then run the day again",
        },
      );
    }
    if (d?.ExportStatus === "COMPLETED") completed++;
  }
  return { status: completed === job.exports.length ? "COMPLETED" : "IN_PROGRESS", completed, total: job.exports.length };
}

/**
 * The data files of the job's completed exports, in a stable order (window, then key). Listed
 * under each window's prefix rather than read from manifest-files.json, which the emulator does
 * not write (docs/export.md, "Big days"); on DynamoDB both name the same `data/` objects.
 */
export async function listExportFiles(clients: NativeClients, job: NativeJob, signal?: AbortSignal): Promise<FileRef[]> {
  const refs: FileRef[] = [];
  for (let k = 0; k < job.exports.length; k++) {
    const isData = (key: string) => /\/data\/[^/]+\.gz$/.test(key);
    const keys = await listKeys(clients.s3, job.bucket, `${job.work}/export-${k}/AWSDynamoDB/`, isData, signal);
    for (const key of keys) refs.push({ key, window: k, index: refs.length });
  }
  return refs;
}

/** The file list as the Distributed Map's ItemReader reads it (a JSON array in S3); returns its key. */
export async function putFileList(clients: NativeClients, job: NativeJob, refs: readonly FileRef[]): Promise<string> {
  const key = `${job.work}/files.json`;
  await putJson(clients.s3, job, key, refs);
  return key;
}

/** Groups files for the map's workers: `size` files per batch, in order. */
export function batchFiles<T>(refs: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < refs.length; i += size) batches.push(refs.slice(i, i + size));
  return batches;
}
