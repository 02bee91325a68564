// The scheduled export (EventBridge Scheduler at the export hour → this function): exports the
// current day so far and re-exports the previous day, so records written after yesterday's run
// are not lost. Thin: read the event and the environment, call core, log the manifests' figures.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { Context } from "aws-lambda";
import { createDynamoDbClient, createS3Client } from "../src/core/aws/clients";
import { createSfnClient } from "../src/core/aws/more-clients";
import { ErrorCode, TraceError, toTraceError } from "../src/core/errors";
import { addDays, dayInZone } from "../src/core/export/day-window";
import { type ExportClients, exportDays } from "../src/core/export/export-days";
import { type ExportManifest, readManifest } from "../src/core/export/manifest";
import { scheduledEngine, startNativeExecutions } from "../src/core/export/native/schedule";
import { daysToReexport } from "../src/core/export/reexport";
import { EPHEMERAL_STORAGE_MIB } from "../src/core/export/spool-space";
import { judgeRun } from "../src/core/health/export-run";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createMetrics, emit } from "./shared/metrics";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv, slackMsFromEnv, TIMEOUT_MARGIN_MS } from "./shared/runtime";

export { TIMEOUT_MARGIN_MS };

/**
 * The schedule's input: `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`. A manual run (or
 * `trace smoke`, on its reserved day) may name the days instead: `{"days": ["YYYY-MM-DD"]}`, at most
 * MAX_EXPLICIT_DAYS, exported by the function itself (never handed to the native export).
 */
export interface ScheduledExportEvent {
  scheduledTime?: string;
  /**
   * Set by the late-check schedule (the export hour plus these minutes): check that the day's
   * manifest landed by `scheduledTime` and emit ExportLate, instead of exporting.
   */
  lateCheckAfterMinutes?: number;
  days?: string[];
}

export const MAX_EXPLICIT_DAYS = 7;

/** The event's explicit days, checked: real calendar days, at most MAX_EXPLICIT_DAYS. */
function explicitDays(days: unknown): string[] | undefined {
  if (days === undefined) return undefined;
  const valid = (d: unknown) =>
    typeof d === "string" && /^\d{4}-\d{2}-\d{2}$/.test(d) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
  if (!Array.isArray(days) || days.length === 0 || days.length > MAX_EXPLICIT_DAYS || !days.every(valid)) {
    throw new TraceError(ErrorCode.usage, `"days" must be 1 to ${MAX_EXPLICIT_DAYS} days as YYYY-MM-DD, got ${JSON.stringify(days)}`);
  }
  return days as string[];
}

export interface ExportFunctionConfig {
  table: string;
  bucket: string;
  kmsKeyArn: string;
  timeZone: string;
  segments: number;
  spreadsheetSafe: boolean;
  /** Late-write slack: how far past a day's end the index's stamping must be before the export trusts it. */
  slackMs?: number;
  /** How many days the table keeps a record (TABLE_RETENTION_DAYS): older days' exports are kept, not redone. */
  retentionDays: number;
  /** The native path's state machine and the estimated rows per day above which it takes the days. */
  native?: { stateMachineArn: string; aboveRows: number; retentionDays: number };
}

export interface ExportHandlerDeps {
  clients: ExportClients & { sfn?: Pick<SFNClient, "send"> };
  logger: Logger;
  /** The function's metrics (lambda/shared/metrics.ts); absent: none emitted. */
  metrics?: Metrics;
  /** Read on the first invocation (so a bad variable fails the invocation, not the import). */
  config: () => ExportFunctionConfig;
  now?: () => number;
}

/** `SPREADSHEET_SAFE`: "true" or "false" (absent: false); anything else fails the invocation, naming it. */
function spreadsheetSafeFromEnv(value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new TraceError(ErrorCode.config, `${LAMBDA_ENV.spreadsheetSafe} must be "true" or "false", got ${JSON.stringify(value)}`, {
    hint: "set the traceability stack's ExportSpreadsheetSafe parameter (config key spreadsheetSafe) and deploy again",
  });
}

/** The native hand-over, when the state machine is named and the threshold is a positive integer (0 or absent: off). */
function nativeFromEnv(env: NodeJS.ProcessEnv): ExportFunctionConfig["native"] {
  const stateMachineArn = env[LAMBDA_ENV.nativeStateMachineArn];
  const above = env[LAMBDA_ENV.nativeAboveRows];
  if (!stateMachineArn || above === undefined || above === "" || above === "0") return undefined;
  const aboveRows = Number(above);
  const retentionDays = Number(env[LAMBDA_ENV.retentionDaysOfTable] ?? 7);
  if (!Number.isInteger(aboveRows) || aboveRows < 1 || !Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new TraceError(
      ErrorCode.config,
      `${LAMBDA_ENV.nativeAboveRows} and ${LAMBDA_ENV.retentionDaysOfTable} must be positive integers, got ${JSON.stringify(above)} and ${JSON.stringify(env[LAMBDA_ENV.retentionDaysOfTable])}`,
      { hint: "set nativeExportAboveRows in trace.config.yaml and run `trace deploy traceability`" },
    );
  }
  return { stateMachineArn, aboveRows, retentionDays };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ExportFunctionConfig {
  const segments = Number(env[LAMBDA_ENV.segments] ?? 4);
  const retentionDays = Number(env[LAMBDA_ENV.retentionDaysOfTable] ?? 7);
  return {
    retentionDays: Number.isInteger(retentionDays) && retentionDays > 0 ? retentionDays : 7,
    native: nativeFromEnv(env),
    table: requireEnv(LAMBDA_ENV.tableName, env),
    bucket: requireEnv(LAMBDA_ENV.bucketName, env),
    kmsKeyArn: requireEnv(LAMBDA_ENV.kmsKeyArn, env),
    timeZone: requireEnv(LAMBDA_ENV.timeZone, env),
    segments: Number.isInteger(segments) && segments > 0 ? segments : 4,
    spreadsheetSafe: spreadsheetSafeFromEnv(env[LAMBDA_ENV.spreadsheetSafe]),
    slackMs: slackMsFromEnv(env),
  };
}

/** When the days' spools do not fit in /tmp (the function's ephemeral storage). */
export const SPACE_HINT = `raise exportEphemeralStorageMiB (${EPHEMERAL_STORAGE_MIB.min} to ${EPHEMERAL_STORAGE_MIB.max} MiB: this function's /tmp) for the environment in trace.config.yaml and run \`trace deploy traceability\``;

const figures = (m: ExportManifest) => ({
  date: m.date,
  rows: m.rows,
  bytes: m.bytes,
  sha256: m.sha256,
  columns: m.columns.length,
  scannedCount: m.scannedCount,
  readPath: m.readPath,
  readPathReason: m.readPathReason,
  indexWatermark: m.indexWatermark,
  itemsRead: m.itemsRead,
  readAmplification: m.readAmplification,
  dayMismatch: m.dayMismatch,
  unreadableFecha: m.unreadableFecha,
  complete: m.complete,
  csvVersionId: m.csvVersionId,
  spreadsheetSafe: m.spreadsheetSafe,
  windowStart: m.windowStart,
  windowEnd: m.windowEnd,
  location: m.location,
});

/**
 * The late check: the day whose run fired `lateCheckAfterMinutes` before `scheduledTime` must have
 * its manifest, written by that run or later, by `scheduledTime` (src/core/health/export-run.ts).
 */
export function createLateCheck(deps: ExportHandlerDeps & { clients: { s3: S3Client } }) {
  let config: ExportFunctionConfig | undefined;
  return async (event: ScheduledExportEvent) => {
    config ??= deps.config();
    return lateCheck(deps, config, event);
  };
}

async function lateCheck(
  deps: ExportHandlerDeps & { clients: { s3: S3Client } },
  config: ExportFunctionConfig,
  event: ScheduledExportEvent,
) {
  const now = (deps.now ?? Date.now)();
  const parsed = Date.parse(event.scheduledTime ?? "");
  const deadline = Number.isNaN(parsed) ? now : parsed;
  const at = deadline - (event.lateCheckAfterMinutes ?? 0) * 60_000;
  const run = { day: dayInZone(at, config.timeZone), at, deadline };
  const manifest = await readManifest(deps.clients.s3, config.bucket, config.table, run.day, new AbortController().signal);
  const verdict = judgeRun(run, manifest, Math.max(now, deadline));
  const facts = { date: run.day, verdict, scheduledAt: new Date(at).toISOString(), deadline: new Date(deadline).toISOString() };
  emit(deps.metrics, { ExportLate: verdict === "on-time" ? 0 : 1 }, {}, { date: run.day, verdict });
  if (verdict === "on-time") deps.logger.info("export landed on time", { ...facts, finishedAt: manifest?.finishedAt });
  else
    deps.logger.error("export late: the day's manifest had not landed by the deadline", {
      ...facts,
      finishedAt: manifest?.finishedAt ?? null,
    });
  return { check: "late" as const, ...facts, finishedAt: manifest?.finishedAt ?? null };
}

export function createHandler(deps: ExportHandlerDeps) {
  let config: ExportFunctionConfig | undefined;
  return async (event: ScheduledExportEvent | undefined, context?: Pick<Context, "getRemainingTimeInMillis">) => {
    const { logger } = deps;
    try {
      config ??= deps.config();
      const parsed = event?.scheduledTime ? Date.parse(event.scheduledTime) : Number.NaN;
      if (event?.scheduledTime && Number.isNaN(parsed))
        logger.warn("scheduledTime unreadable, using the clock", { scheduledTime: event.scheduledTime });
      const at = Number.isNaN(parsed) ? (deps.now ?? Date.now)() : parsed;
      const today = dayInZone(at, config.timeZone);
      const named = explicitDays(event?.days);
      const days = named ?? [addDays(today, -1), today];
      const remaining = context?.getRemainingTimeInMillis();
      const signal = remaining ? AbortSignal.timeout(Math.max(1_000, remaining - TIMEOUT_MARGIN_MS)) : new AbortController().signal;
      logger.info("export starting", { table: config.table, days, timeZone: config.timeZone, scheduledTime: event?.scheduledTime });
      if (config.native && deps.clients.sfn && !named) {
        const { stateMachineArn, aboveRows, retentionDays } = config.native;
        const choice = await scheduledEngine(deps.clients.dynamodb, { table: config.table, retentionDays, nativeAboveRows: aboveRows });
        if (choice.engine === "native") {
          const where = {
            bucket: config.bucket,
            table: config.table,
            days,
            timeZone: config.timeZone,
            retentionDays: config.retentionDays,
            now: at,
          };
          const redo = deps.clients.s3 ? await daysToReexport(deps.clients.s3, where, loggerReporter(logger), signal) : days;
          const executions = await startNativeExecutions(deps.clients.sfn, stateMachineArn, redo, at);
          logger.info("days handed to the native export", { ...choice, aboveRows, executions });
          // No manifest yet: each execution writes its day's pair when it finishes.
          return { engine: "native" as const, estimatedRowsPerDay: choice.estimatedRowsPerDay, executions, days: [] };
        }
      }
      const manifests = await exportDays(
        deps.clients,
        {
          table: config.table,
          days,
          timeZone: config.timeZone,
          segments: config.segments,
          spreadsheetSafe: config.spreadsheetSafe,
          target: { kind: "s3", bucket: config.bucket, kmsKeyId: config.kmsKeyArn, checkBucket: false },
          now: deps.now,
          spoolDisk: { hint: SPACE_HINT },
          lateWriteSlackMs: config.slackMs,
          // Days the table may no longer hold whole keep their export (it cannot be forced here).
          reexport: { retentionDays: config.retentionDays, beyond: "keep" },
        },
        loggerReporter(logger),
        signal,
      );
      for (const m of manifests) {
        logger.info("day exported", figures(m));
        emit(
          deps.metrics,
          { ExportedRows: m.rows, ExportedBytes: m.bytes ?? 0 },
          { readPath: m.readPath },
          { date: m.date, complete: String(m.complete) },
        );
      }
      return { engine: "function" as const, days: manifests.map(figures) };
    } catch (error) {
      const traced = toTraceError(error);
      logger.error("export failed", { code: traced.code, message: traced.message, hint: traced.hint, error: traced.cause ?? traced });
      emit(deps.metrics, { ExportFailures: 1 });
      // Rethrown: the invocation fails, the function's Errors metric rises and the alarm fires.
      throw traced instanceof TraceError ? traced : error;
    }
  };
}

const clients = {
  dynamodb: createDynamoDbClient(lambdaAwsSettings()),
  s3: createS3Client(lambdaAwsSettings()),
  sfn: createSfnClient(lambdaAwsSettings()),
};
const deps = { clients, logger: createLogger("export"), metrics: createMetrics("trazabilidad_export"), config: () => configFromEnv() };
const exportRun = createHandler(deps);
const check = createLateCheck(deps);
/** The export schedule's run, or the late-check schedule's check (its input names `lateCheckAfterMinutes`). */
export const handler = (event: ScheduledExportEvent | undefined, context?: Pick<Context, "getRemainingTimeInMillis">) =>
  event?.lateCheckAfterMinutes !== undefined ? check(event) : exportRun(event, context);
