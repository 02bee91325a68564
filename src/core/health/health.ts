/**
 * `trace health`: is each unattended job healthy right now? Reads the stacks' outputs, the export's
 * manifests, the queues, the consumers, the alarms and the native export's executions, and names
 * every problem found. Read-only; nothing is changed or consumed (no message is received).
 */

import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { FAILURE_PREFIX } from "../audit/redrive";
import type { AwsClients } from "../aws/clients";
import type { ResolvedEnvironment } from "../config";
import { addDays, type Day, today } from "../export/day-window";
import { type ExportManifest, manifestKey, readManifest } from "../export/manifest";
import { DAY_INDEX } from "../export/read-query";
import { readLedger } from "../export/stamp/ledger";
import { trustDayIndex } from "../export/stamp/trust";
import { readStackOutputs } from "../resources";
import { type StackId, stackName } from "../stacks";
import { isLate, judgeRun, type RunVerdict, runsAt, type ScheduledRun } from "./export-run";
import {
  type AlarmSummary,
  describeAlarms,
  describePipe,
  type ExecutionSummary,
  lastExecutions,
  type MappingSummary,
  newestMaxima,
  type PipeSummary,
  type Probe,
  probe,
  queueDepth,
  queueName,
  stackAlarmNames,
  streamMappings,
} from "./probes";

/**
 * Attempts per health request, as for the forecast (deploy/forecast.ts): a quick read-only look
 * that rides out a throttle, where the default eight would spend seconds on an endpoint that
 * answers every CloudWatch call with HTTP 500 (moto 5.2.5 with the SDK's JSON protocol: about 5 s
 * of a local `trace health`'s 6-9 s, measured with a request-timing hook).
 */
export const HEALTH_MAX_ATTEMPTS = 3;
/** A DynamoDB stream keeps a record 24 hours (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html). */
export const STREAM_RETENTION_SECONDS = 24 * 3600;
/** The audit stack's IteratorAge alarm threshold (audit.yaml: 300000 ms). */
export const ITERATOR_AGE_LIMIT_SECONDS = 300;

export type Job = "export" | "audit" | "archive" | "alarms";
export interface HealthProblem {
  job: Job;
  cause: string;
}

export interface QueueHealth {
  name: string;
  url: string;
  depth: number;
  inFlight: number;
  /** ApproximateAgeOfOldestMessage, null when CloudWatch has no datapoint. */
  oldestAgeSeconds: number | null;
  /** Messages point at stream records (kept 24 h): the time left to redrive, at most. */
  streamDeadline: boolean;
  secondsLeft: number | null;
}

export interface DayManifest {
  day: Day;
  key: string;
  present: boolean;
  rows: number | null;
  bytes: number | null;
  finishedAt: string | null;
  ageSeconds: number | null;
  complete: boolean | null;
  readPath: string | null;
}

export interface AuditFailures {
  location: string;
  /** Failure objects found (at most 1,000 counted). */
  objects: number;
}

export interface DayIndexHealth {
  readPath: "query" | "scan";
  reason: string;
  watermark: string | null;
  lagSeconds: number | null;
  unstamped: number;
  lateStamps: number;
}

export interface HealthReport {
  environment: string;
  stage: string;
  checkedAt: string;
  healthy: boolean;
  problems: HealthProblem[];
  /** What could not be read on this endpoint, or is not deployed by design (local mode). */
  notes: string[];
  export: {
    table: string | null;
    timeZone: string;
    exportHour: number;
    lateAfterMinutes: number;
    lastRun: { day: Day; scheduledAt: string; deadline: string; verdict: RunVerdict; days: DayManifest[] } | null;
    today: { day: Day; scheduledAt: string; deadline: string; state: "judged" | "due" | "notYet" };
    queue: QueueHealth | null;
    nativeExecutions: ExecutionSummary[] | null;
    /** The day index the stamper keeps (null on a table without it): whether an export now may query it. */
    dayIndex: DayIndexHealth | null;
  };
  /** `failures`: the batches the stream mapping gave up on, kept whole in the data bucket (`trace audit redrive`). */
  audit: { mappings: MappingSummary[] | null; iteratorAgeSeconds: number | null; failures: AuditFailures | null };
  /** `pipeQueue`: the pipes' dead-letter queue (pointers into the stream); `queue`: the archive's own (events, parked pointers). */
  archive: { pipes: PipeSummary[] | null; pipeQueue: QueueHealth | null; queue: QueueHealth | null };
  alarms: { total: number | null; inAlarm: AlarmSummary[] };
}

export interface HealthOptions {
  clients: AwsClients;
  env: ResolvedEnvironment;
  signal: AbortSignal;
  now?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function summarize(day: Day, table: string, manifest: ExportManifest | null, now: number): DayManifest {
  const finished = manifest ? Date.parse(manifest.finishedAt) : Number.NaN;
  return {
    day,
    key: manifestKey(table, day),
    present: manifest !== null,
    rows: manifest?.rows ?? null,
    bytes: manifest?.bytes ?? null,
    finishedAt: manifest?.finishedAt ?? null,
    ageSeconds: Number.isNaN(finished) ? null : Math.round((now - finished) / 1000),
    complete: manifest?.complete ?? null,
    readPath: manifest?.readPath ?? null,
  };
}

/** The run judged at `now`: its day's manifest (the verdict) and the day before (re-exported by that run). */
async function exportRun(options: HealthOptions, bucket: string, table: string, run: ScheduledRun, now: number) {
  const { clients, signal } = options;
  const [before, current] = await Promise.all(
    [addDays(run.day, -1), run.day].map((day) => readManifest(clients.s3, bucket, table, day, signal)),
  );
  const verdict = judgeRun(run, current ?? null, now);
  return {
    day: run.day,
    scheduledAt: iso(run.at),
    deadline: iso(run.deadline),
    verdict,
    days: [summarize(addDays(run.day, -1), table, before ?? null, now), summarize(run.day, table, current ?? null, now)],
  };
}

function queueHealth(url: string, depth: { visible: number; inFlight: number }, age: number | null, streamDeadline: boolean): QueueHealth {
  return {
    name: queueName(url),
    url,
    depth: depth.visible,
    inFlight: depth.inFlight,
    oldestAgeSeconds: age,
    streamDeadline,
    secondsLeft: streamDeadline && age !== null ? Math.max(0, STREAM_RETENTION_SECONDS - age) : null,
  };
}

/** Runs every probe and judges the result; see docs/health.md for each rule. */
export async function checkHealth(options: HealthOptions): Promise<HealthReport> {
  const { clients, env } = options;
  const now = options.now ?? Date.now();
  await clients.loadMore();
  const problems: HealthProblem[] = [];
  const notes: string[] = [];
  const outputs: Partial<Record<StackId, Record<string, string>>> = {};
  for (const stack of ["base", "traceability", "audit", "archive"] as const) {
    const found = await readStackOutputs(clients.cloudformation, stackName(env, stack));
    if (found) outputs[stack] = found;
    else
      problems.push({
        job: stack === "audit" ? "audit" : stack === "archive" ? "archive" : "export",
        cause: `stack ${stackName(env, stack)} is not deployed`,
      });
  }
  const schedule = { timeZone: env.timeZone, exportHour: env.exportHour, lateAfterMinutes: env.exportLateAfterMinutes };
  const runs = runsAt(now, schedule);
  const report: HealthReport = {
    environment: env.name,
    stage: env.stage,
    checkedAt: iso(now),
    healthy: false,
    problems,
    notes,
    export: {
      table: outputs.traceability?.TrazabilidadTableName ?? null,
      ...{ timeZone: env.timeZone, exportHour: env.exportHour, lateAfterMinutes: env.exportLateAfterMinutes },
      lastRun: null,
      today: { day: runs.today.day, scheduledAt: iso(runs.today.at), deadline: iso(runs.today.deadline), state: runs.todayState },
      queue: null,
      nativeExecutions: null,
      dayIndex: null,
    },
    audit: { mappings: null, iteratorAgeSeconds: null, failures: null },
    archive: { pipes: null, pipeQueue: null, queue: null },
    alarms: { total: null, inAlarm: [] },
  };
  await checkExport(options, report, outputs, runs.judged, now);
  await checkQueuesAndAges(options, report, outputs, now);
  await checkAuditFailures(options, report, outputs);
  await checkConsumers(options, report, outputs);
  await checkAlarms(options, report);
  report.healthy = problems.length === 0;
  return report;
}

async function checkExport(
  options: HealthOptions,
  report: HealthReport,
  outputs: Partial<Record<StackId, Record<string, string>>>,
  run: ScheduledRun,
  now: number,
) {
  const { clients, signal } = options;
  const table = outputs.traceability?.TrazabilidadTableName;
  const bucket = outputs.base?.DataBucketName;
  if (table && bucket) {
    const last = await exportRun(options, bucket, table, run, now);
    report.export.lastRun = last;
    if (isLate(last.verdict)) {
      const current = last.days[1];
      report.problems.push({
        job: "export",
        cause: current?.present
          ? `the export due ${last.scheduledAt} has not landed: s3://${bucket}/${current.key} is from an earlier run (${current.finishedAt})`
          : `the export due ${last.scheduledAt} has not landed: no manifest at s3://${bucket}/${current?.key} (late since ${last.deadline})`,
      });
    }
  }
  if (table && bucket) await checkDayIndex(options, report, table, bucket, now);
  const machine = outputs.traceability?.NativeExportStateMachineArn;
  if (machine) {
    const executions = await probe("Step Functions ListExecutions", () => lastExecutions(clients.sfn, machine, 5, signal));
    if (executions.ok) {
      report.export.nativeExecutions = executions.value;
      const newest = executions.value[0];
      if (newest && ["FAILED", "TIMED_OUT", "ABORTED"].includes(newest.status)) {
        report.problems.push({ job: "export", cause: `the native export's newest execution ${newest.name} is ${newest.status}` });
      }
    } else report.notes.push(executions.message);
  }
}

/**
 * The day index, as an export starting now would judge it (stamp/trust.ts): a table with the index
 * whose stamping cannot be shown complete is a problem (exports scan, slower but whole), and so is
 * a record that could not take its dia or a late stamp.
 */
async function checkDayIndex(options: HealthOptions, report: HealthReport, table: string, bucket: string, now: number) {
  const { clients, env, signal } = options;
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal });
  // A table deployed without the index (dayIndex: false) is scanned by design: nothing to judge.
  if (!Table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === DAY_INDEX)) return;
  const ledger = await readLedger(clients.s3, bucket, table, signal);
  const slackMs = env.lateWriteSlackMinutes * 60_000;
  const trust = trustDayIndex({ description: Table, ledger, days: [today(env.timeZone, now)], timeZone: env.timeZone, now, slackMs });
  const late = (ledger?.lateStamps ?? []).filter((l) => now - l.at < STREAM_RETENTION_SECONDS * 1000);
  report.export.dayIndex = {
    readPath: trust.readPath,
    reason: trust.reason,
    watermark: ledger?.watermark ? iso(ledger.watermark) : null,
    lagSeconds: ledger?.watermark ? Math.round((now - ledger.watermark) / 1000) : null,
    unstamped: ledger?.failures.length ?? 0,
    lateStamps: late.length,
  };
  if (trust.readPath === "scan")
    report.problems.push({ job: "export", cause: `exports scan the table: ${trust.reason} (trace index status)` });
  if (late.length > 0)
    report.problems.push({
      job: "export",
      cause: `${late.length} record(s) stamped late in the last 24 h (${[...new Set(late.map((l) => l.day))].join(", ")}): export those days again`,
    });
}

async function checkQueuesAndAges(
  options: HealthOptions,
  report: HealthReport,
  outputs: Partial<Record<StackId, Record<string, string>>>,
  now: number,
) {
  const { clients, signal } = options;
  const queues = [
    {
      job: "export" as const,
      url: outputs.traceability?.ExportDeadLetterQueueUrl,
      stream: false,
      what: "a scheduled export could not be delivered or failed",
      keep: (h: QueueHealth) => {
        report.export.queue = h;
      },
    },
    {
      job: "archive" as const,
      url: outputs.archive?.PipeDeadLetterQueueUrl,
      stream: true,
      what: "a pipe could not deliver deletions; the messages point at stream records (archive_redrive or `trace archive redrive` recovers them)",
      keep: (h: QueueHealth) => {
        report.archive.pipeQueue = h;
      },
    },
    {
      job: "archive" as const,
      url: outputs.archive?.ArchiveDeadLetterQueueUrl,
      stream: false,
      what: "deletions were not archived (`trace archive redrive`)",
      keep: (h: QueueHealth) => {
        report.archive.queue = h;
      },
    },
  ].filter((q): q is typeof q & { url: string } => Boolean(q.url));
  const auditFunction = outputs.audit?.AuditProducerFunctionName;
  const ages = await probe("CloudWatch GetMetricData", () =>
    newestMaxima(
      clients.cloudwatch,
      [
        ...queues.map((q, i) => ({
          id: `q${i}`,
          namespace: "AWS/SQS",
          metricName: "ApproximateAgeOfOldestMessage",
          dimensions: { QueueName: queueName(q.url) },
        })),
        ...(auditFunction
          ? [{ id: "iterator", namespace: "AWS/Lambda", metricName: "IteratorAge", dimensions: { FunctionName: auditFunction } }]
          : []),
      ],
      now,
      signal,
    ),
  );
  if (!ages.ok) report.notes.push(ages.message);
  const age = (id: string) => (ages.ok ? (ages.value[id] ?? null) : null);
  for (const [i, q] of queues.entries()) {
    const health = queueHealth(q.url, await queueDepth(clients.sqs, q.url, signal), age(`q${i}`), q.stream);
    q.keep(health);
    if (health.depth + health.inFlight > 0) {
      const left =
        health.secondsLeft !== null ? `; under ${Math.floor(health.secondsLeft / 3600)} h left before the stream drops the records` : "";
      report.problems.push({ job: q.job, cause: `${health.depth + health.inFlight} message(s) in ${health.name}: ${q.what}${left}` });
    }
  }
  const iterator = age("iterator");
  report.audit.iteratorAgeSeconds = iterator === null ? null : Math.round(iterator / 1000);
  if (report.audit.iteratorAgeSeconds !== null && report.audit.iteratorAgeSeconds > ITERATOR_AGE_LIMIT_SECONDS) {
    report.problems.push({
      job: "audit",
      cause: `audit_producer is ${report.audit.iteratorAgeSeconds} s behind the Configuration stream (limit ${ITERATOR_AGE_LIMIT_SECONDS} s)`,
    });
  }
}

/** The audit mapping's failed batches, kept whole by its S3 on-failure destination (core/audit/redrive.ts). */
async function checkAuditFailures(options: HealthOptions, report: HealthReport, outputs: Partial<Record<StackId, Record<string, string>>>) {
  const bucket = outputs.base?.DataBucketName;
  if (!bucket || !outputs.audit) return;
  const listed = await options.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: FAILURE_PREFIX, MaxKeys: 1000 }), {
    abortSignal: options.signal,
  });
  const objects = listed.KeyCount ?? listed.Contents?.length ?? 0;
  report.audit.failures = { location: `s3://${bucket}/${FAILURE_PREFIX}`, objects };
  if (objects > 0)
    report.problems.push({
      job: "audit",
      cause: `${objects}${listed.IsTruncated ? "+" : ""} failed Configuration batch(es) kept in s3://${bucket}/${FAILURE_PREFIX}: their audit entries are not written (trace audit redrive)`,
    });
}

const HEALTHY_MAPPING_STATES = new Set(["Enabled", "Enabling", "Creating", "Updating"]);

async function checkConsumers(options: HealthOptions, report: HealthReport, outputs: Partial<Record<StackId, Record<string, string>>>) {
  const { clients, env, signal } = options;
  const local = !env.streamTriggers;
  const stream = outputs.audit?.ConfigurationStreamArn;
  if (stream) {
    const mappings: Probe<MappingSummary[]> = await probe("Lambda ListEventSourceMappings", () =>
      streamMappings(clients.lambda, stream, signal),
    );
    if (!mappings.ok) report.notes.push(mappings.message);
    else {
      report.audit.mappings = mappings.value;
      if (mappings.value.length === 0 && local)
        report.notes.push("audit: no event source mapping (streamTriggers: false); `trace local streams` feeds audit_producer");
      else if (mappings.value.length === 0)
        report.problems.push({ job: "audit", cause: "no event source mapping reads the Configuration stream" });
      for (const m of mappings.value.filter((m) => !HEALTHY_MAPPING_STATES.has(m.state))) {
        report.problems.push({
          job: "audit",
          cause: `the stream mapping ${m.uuid} is ${m.state}${m.stateTransitionReason ? ` (${m.stateTransitionReason})` : ""}`,
        });
      }
    }
  }
  if (!outputs.archive) return;
  const names = env.archivedTables.map((t) => `trace-${env.stage}-archive-${t.toLowerCase()}`);
  const pipes = await probe("EventBridge Pipes DescribePipe", () => Promise.all(names.map((n) => describePipe(clients.pipes, n, signal))));
  if (!pipes.ok) {
    report.notes.push(pipes.message);
    return;
  }
  report.archive.pipes = pipes.value;
  for (const p of pipes.value) {
    if (p.state === "RUNNING") continue;
    if (p.state === "NOT_FOUND" && local)
      report.notes.push(
        `archive: Pipe ${p.name} not created (the emulator's CloudFormation skips AWS::Pipes::Pipe); \`trace local streams\` does its work`,
      );
    else report.problems.push({ job: "archive", cause: `Pipe ${p.name} is ${p.state}${p.reason ? ` (${p.reason})` : ""}` });
  }
}

async function checkAlarms(options: HealthOptions, report: HealthReport) {
  const { clients, env, signal } = options;
  const stacks = (["traceability", "audit", "archive", "base"] as const).map((s) => stackName(env, s));
  const names = await stackAlarmNames(clients.cloudformation, stacks, signal);
  const alarms = await probe("CloudWatch DescribeAlarms", () => describeAlarms(clients.cloudwatch, names, `trace-${env.stage}-`, signal));
  if (!alarms.ok) {
    report.notes.push(alarms.message);
    return;
  }
  report.alarms.total = alarms.value.length;
  report.alarms.inAlarm = alarms.value.filter((a) => a.state === "ALARM");
  for (const a of report.alarms.inAlarm) report.problems.push({ job: "alarms", cause: `alarm ${a.name} is in ALARM: ${a.reason}` });
  if (names.length === 0 && env.name === "local")
    report.notes.push("alarms: the emulator's CloudFormation creates no AWS::CloudWatch::Alarm; only alarms put by hand are seen");
}
