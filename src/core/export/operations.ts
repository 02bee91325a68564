/**
 * The export's operator entry point, the same shape as the archive's (`archive/operations.ts`):
 * settings (clients, environment, reporter, signal) and the raw request as typed; it validates the
 * request before touching AWS, plans the days and the target, resolves stack outputs, exports and
 * returns what the CLI renders.
 */
import type { Writable } from "node:stream";
import type { AwsClients } from "../aws/clients";
import { checkKmsKeyShape, checkKmsKeyUsable } from "../aws/kms-key";
import type { ResolvedEnvironment } from "../config";
import { usageError } from "../errors";
import { checkOutFile } from "../out-file";
import type { Reporter } from "../reporter";
import { resolveOutputs } from "../resources";
import { daysBetween, parseDay, today } from "./day-window";
import type { ExportManifest } from "./manifest";
import { READ_PATHS } from "./read-query";
import { type ExportTarget, MAX_SEGMENTS, nativeNeedsBucket } from "./request";

export type ExportEnv = Pick<
  ResolvedEnvironment,
  "stage" | "timeZone" | "exportSegments" | "spreadsheetSafe" | "endpointUrl" | "lateWriteSlackMinutes" | "retentionDays"
>;

export interface ExportSettings {
  /** Called once the request is validated, so a usage error never waits for AWS settings. */
  clients: () => Promise<Pick<AwsClients, "dynamodb" | "s3" | "cloudformation" | "sfn" | "kms" | "loadMore">>;
  env: () => ExportEnv;
  reporter: Reporter;
  signal: AbortSignal;
  /** Where `out: "-"` writes the CSV (the CLI's stdout). */
  stdout?: Writable;
  /** True when stdout already carries machine-readable output (`--json`). */
  stdoutTaken?: boolean;
}

/** The request as the operator typed it (flags as strings). */
export interface ExportRawRequest {
  date?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  segments?: string | undefined;
  out?: string | undefined;
  dryRun?: boolean | undefined;
  table?: string | undefined;
  bucket?: string | undefined;
  kmsKey?: string | undefined;
  spreadsheetSafe?: boolean | undefined;
  engine?: string | undefined;
  /** `--engine native` only: run the map's steps in this process instead of the deployed state machine. */
  inProcess?: boolean | undefined;
  /** `--engine native` only: the state machine to run (default: the traceability stack's output). */
  stateMachine?: string | undefined;
  /** Replace the export of a day older than the table's retention (docs/export.md, "Re-exports"). */
  force?: boolean | undefined;
}

/** The read paths `--engine` names: the two table reads and DynamoDB's own export. */
export const ENGINES = [...READ_PATHS, "native"] as const;
export type Engine = (typeof ENGINES)[number];

/** What the request asks for, checked: the days, the scan segments and the read path. */
export interface ExportPlan {
  days: string[];
  segments: number;
  engine: Engine | undefined;
  /** Where the CSV goes: S3 (needs the bucket and key), a file, stdout, or nowhere (dry run). */
  destination: "s3" | "file" | "stdout" | "none";
  spreadsheetSafe: boolean;
}

function parseSegments(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_SEGMENTS)
    throw usageError(`--segments ${JSON.stringify(text)} is not an integer from 1 to ${MAX_SEGMENTS}`, "pass e.g. --segments 4");
  return n;
}

function planDays(request: ExportRawRequest, timeZone: string): string[] {
  if (request.from && request.to) {
    const from = parseDay(request.from, "--from");
    const to = parseDay(request.to, "--to");
    if (from > to) throw usageError(`--from ${from} is after --to ${to}`, "swap them: --from is the first day, --to the last");
    return daysBetween(from, to);
  }
  return [request.date ? parseDay(request.date) : today(timeZone)];
}

/** The checks that need nothing but the flags (made before the environment is even resolved). */
function checkFlags(request: ExportRawRequest, stdoutTaken: boolean): void {
  if (request.date && (request.from || request.to))
    throw usageError("--date cannot be combined with --from/--to", "pass either --date or --from and --to");
  if (Boolean(request.from) !== Boolean(request.to))
    throw usageError("--from and --to go together", "pass both, e.g. --from 2026-11-01 --to 2026-11-07");
  if (request.dryRun && request.out) throw usageError("--dry-run writes nothing, so --out has no use with it", "drop one of them");
  if (request.out === "-" && stdoutTaken)
    throw usageError("--out - puts the CSV on stdout, so --json cannot", "drop --json, or write the CSV to a file");
  if ((request.inProcess || request.stateMachine) && request.engine !== "native")
    throw usageError(
      `${request.inProcess ? "--in-process" : "--state-machine"} belongs to the native engine`,
      "add --engine native, or drop the flag",
    );
  if (request.engine === "native" && (request.out || request.dryRun)) throw nativeNeedsBucket(Boolean(request.dryRun));
  if (request.inProcess && request.stateMachine)
    throw usageError("--in-process runs no state machine, so --state-machine has no use with it", "drop one of them");
}

/** Checks the request and plans it, without touching AWS: bad input writes nothing. */
export function planExport(request: ExportRawRequest, env: ExportEnv, stdoutTaken = false): ExportPlan {
  checkFlags(request, stdoutTaken);
  return planChecked(request, env);
}

function planChecked(request: ExportRawRequest, env: ExportEnv): ExportPlan {
  const days = planDays(request, env.timeZone);
  if (request.out && days.length > 1)
    throw usageError(`--out writes one day; --from/--to asks for ${days.length}`, "use --date with --out");
  const segments = parseSegments(request.segments, env.exportSegments);
  if (request.engine !== undefined && !(ENGINES as readonly string[]).includes(request.engine))
    throw usageError(
      `--engine ${JSON.stringify(request.engine)} is not a read path`,
      `pass ${ENGINES.map((p) => `--engine ${p}`).join(" or ")}`,
    );
  const destination = request.dryRun ? "none" : request.out === "-" ? "stdout" : request.out ? "file" : "s3";
  return {
    days,
    segments,
    engine: request.engine as Engine | undefined,
    destination,
    spreadsheetSafe: request.spreadsheetSafe ?? env.spreadsheetSafe,
  };
}

export interface ExportResult {
  plan: ExportPlan;
  table: string;
  manifests: ExportManifest[];
  durationMs: number;
}

/** `trace export`: plans, resolves the table (and for S3 the bucket and key), exports the days. */
export async function runExport(settings: ExportSettings, request: ExportRawRequest): Promise<ExportResult> {
  checkFlags(request, settings.stdoutTaken === true);
  // Option values that AWS (or the file system) would refuse only after the whole read.
  if (request.kmsKey) checkKmsKeyShape(request.kmsKey);
  if (request.out && request.out !== "-") checkOutFile(request.out);
  const env = settings.env();
  const plan = planChecked(request, env);
  const { exportDays } = await import("./export-days");
  const clients = await settings.clients();
  const toS3 = plan.destination === "s3";
  // Only an S3 export needs the bucket and key; a local or dry run must not require the base stack.
  const names = await resolveOutputs(
    clients.cloudformation,
    env,
    toS3 ? (["TrazabilidadTableName", "DataBucketName", "DataKeyArn"] as const) : (["TrazabilidadTableName"] as const),
    { TrazabilidadTableName: request.table, DataBucketName: request.bucket, DataKeyArn: request.kmsKey },
    { TrazabilidadTableName: "--table", DataBucketName: "--bucket", DataKeyArn: "--kms-key" },
  );
  if (toS3 && request.kmsKey) {
    await clients.loadMore(); // KMS
    await checkKmsKeyUsable(clients.kms, request.kmsKey, settings.signal);
  }
  const target = targetOf(plan, request, names, settings.stdout);
  // The stamper's ledger (which shows the day index complete) lives in the data bucket, which a
  // local or dry run need not name: looked up when it can be, else the export scans and says why.
  const ledgerBucket = toS3 ? names.DataBucketName : await dataBucketIfDeployed(clients.cloudformation, env, request);
  const stateMachineArn = plan.engine === "native" ? await nativeMachine(clients.cloudformation, env, request) : undefined;
  if (stateMachineArn) await clients.loadMore(); // Step Functions
  const started = performance.now();
  const manifests = await exportDays(
    { dynamodb: clients.dynamodb, s3: toS3 || ledgerBucket ? clients.s3 : undefined, sfn: stateMachineArn ? clients.sfn : undefined },
    {
      table: names.TrazabilidadTableName,
      days: plan.days,
      timeZone: env.timeZone,
      segments: plan.segments,
      target,
      spreadsheetSafe: plan.spreadsheetSafe,
      engine: plan.engine,
      native: { stateMachineArn, slackMs: env.lateWriteSlackMinutes * 60_000 },
      lateWriteSlackMs: env.lateWriteSlackMinutes * 60_000,
      ledgerBucket,
      reexport: { retentionDays: env.retentionDays, force: request.force === true, beyond: "refuse" },
    },
    settings.reporter,
    settings.signal,
  );
  return { plan, table: names.TrazabilidadTableName, manifests, durationMs: performance.now() - started };
}

/** The data bucket when `--bucket` names it or the base stack is deployed; undefined otherwise (never an error). */
async function dataBucketIfDeployed(
  cloudformation: AwsClients["cloudformation"],
  env: ExportEnv,
  request: ExportRawRequest,
): Promise<string | undefined> {
  if (request.bucket) return request.bucket;
  const outputs = await resolveOutputs(cloudformation, env, ["DataBucketName"] as const).catch(() => undefined);
  return outputs?.DataBucketName;
}

/**
 * The native engine's state machine: the one named, else the traceability stack's; none (the
 * steps run in this process) with --in-process or against an emulator, whose Step Functions
 * cannot run the machine's Lambda tasks.
 */
async function nativeMachine(
  cloudformation: AwsClients["cloudformation"],
  env: ExportEnv,
  request: ExportRawRequest,
): Promise<string | undefined> {
  if (request.inProcess) return undefined;
  if (request.stateMachine) return request.stateMachine;
  if (env.endpointUrl) return undefined;
  const flags = { NativeExportStateMachineArn: "--state-machine (or --in-process)" };
  const outputs = await resolveOutputs(cloudformation, env, ["NativeExportStateMachineArn"] as const, {}, flags);
  return outputs.NativeExportStateMachineArn;
}

function targetOf(
  plan: ExportPlan,
  request: ExportRawRequest,
  names: { DataBucketName?: string; DataKeyArn?: string },
  stdout: Writable | undefined,
): ExportTarget {
  if (plan.destination === "none") return { kind: "none" };
  if (plan.destination === "stdout") {
    if (!stdout) throw usageError("--out - needs a stdout to write to", "write the CSV to a file with --out <file>");
    return { kind: "stream", stream: stdout };
  }
  if (plan.destination === "file") return { kind: "file", path: request.out as string };
  return { kind: "s3", bucket: names.DataBucketName as string, kmsKeyId: names.DataKeyArn as string };
}
