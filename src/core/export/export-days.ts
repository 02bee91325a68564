/**
 * The daily export, end to end: one parallel scan routes each record to the day its `fecha`
 * falls on (in the business zone), formats it into CSV cells at once and spools it to local disk;
 * when the scan ends each day's header is known, and the day's rows stream from the spool
 * through the sink (S3 multipart upload with SSE-KMS, a file, stdout), hashed on the way; then
 * the manifest. Memory holds one page per segment, a few buffers and the set of column names.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { type AttributeValue, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, interruptedError, isAbortError, TraceError, toTraceError, usageError } from "../errors";
import type { Reporter } from "../reporter";
import { version } from "../version";
import { headerColumns, RowAssembler, RowShaper } from "./columns";
import { type Day, type DayWindow, dayWindow } from "./day-window";
import { parseFecha, windowIndexOf } from "./fecha";
import { type ExportManifest, objectKey, putManifest } from "./manifest";
import { type Item, parallelScan } from "./scan";
import { type CsvSink, fileSink, s3Sink, streamSink } from "./sinks";
import { readSpool, SpoolWriter } from "./spool";

export type ExportTarget =
  | { kind: "s3"; bucket: string; kmsKeyId: string; partSize?: number }
  | { kind: "file"; path: string }
  | { kind: "stream"; stream: Writable }
  | { kind: "none" };

export interface ExportClients {
  dynamodb: Pick<DynamoDBClient, "send">;
  /** Needed for the S3 target only. */
  s3?: S3Client;
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
  /** Clock, for tests. */
  now?: () => number;
  /** Where day spools go (default: the OS temp dir). */
  spoolDir?: string;
}

/** Days exported by one scan; a longer backfill scans once per group. */
export const MAX_DAYS_PER_SCAN = 31;
export const MAX_SEGMENTS = 64;
const UNREADABLE_SAMPLE = 20;
/** CSV text handed to the sink in pieces of about this many characters (young-generation sized). */
const FLUSH_BYTES = 32 * 1024;

interface DayState {
  window: DayWindow;
  rows: number;
  signatures: Set<number>;
  spool: SpoolWriter | undefined;
}

function validate(request: ExportRequest): void {
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
  if (request.target.kind === "s3" && !request.target.kmsKeyId) {
    throw usageError("no KMS key to encrypt the export with", "pass --kms-key <arn> or deploy the base stack");
  }
}

/** Fails early, before anything is scanned or written, when the table or the bucket is missing or forbidden. */
async function preflight(clients: ExportClients, request: ExportRequest, signal: AbortSignal): Promise<void> {
  try {
    await clients.dynamodb.send(new DescribeTableCommand({ TableName: request.table }), { abortSignal: signal });
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
  if (request.target.kind !== "s3") return;
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
}

const idText = (value: AttributeValue | undefined): string =>
  value?.S ?? value?.N ?? (value?.B ? Buffer.from(value.B).toString("base64") : "(no id)");

function openSink(clients: ExportClients, request: ExportRequest, day: Day): CsvSink {
  const target = request.target;
  switch (target.kind) {
    case "s3":
      return s3Sink({
        s3: clients.s3 as S3Client,
        bucket: target.bucket,
        key: objectKey(request.table, day),
        kmsKeyId: target.kmsKeyId,
        partSize: target.partSize,
      });
    case "file":
      return fileSink(target.path);
    case "stream":
      return streamSink(target.stream);
    default:
      throw new TraceError(ErrorCode.failed, "a dry run writes nothing");
  }
}

function locationOf(request: ExportRequest, day: Day): string | null {
  const target = request.target;
  if (target.kind === "s3") return `s3://${target.bucket}/${objectKey(request.table, day)}`;
  if (target.kind === "file") return target.path;
  if (target.kind === "stream") return "-";
  return null;
}

/**
 * Exports each of `request.days` of the table: one object (plus manifest) per day, each
 * complete or absent. Returns the manifests in the order of the days. Throws TraceError
 * (interrupted when `signal` aborts); any failure aborts the day's upload.
 */
export async function exportDays(
  clients: ExportClients,
  request: ExportRequest,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<ExportManifest[]> {
  validate(request);
  await preflight(clients, request, signal);
  const manifests: ExportManifest[] = [];
  for (let i = 0; i < request.days.length; i += MAX_DAYS_PER_SCAN) {
    manifests.push(...(await exportGroup(clients, request, request.days.slice(i, i + MAX_DAYS_PER_SCAN), reporter, signal)));
  }
  return manifests;
}

async function exportGroup(
  clients: ExportClients,
  request: ExportRequest,
  days: readonly Day[],
  reporter: Reporter,
  signal: AbortSignal,
): Promise<ExportManifest[]> {
  const now = request.now ?? Date.now;
  const startedAt = now();
  const dryRun = request.target.kind === "none";
  const spoolDir = dryRun ? undefined : await mkdtemp(join(request.spoolDir ?? tmpdir(), "trace-export-"));
  const states: DayState[] = days.map((day, i) => ({
    window: dayWindow(day, request.timeZone),
    rows: 0,
    signatures: new Set(),
    spool: spoolDir ? new SpoolWriter(join(spoolDir, `${i}.spool`)) : undefined,
  }));
  const windows = states.map((s) => s.window);
  const shaper = new RowShaper();
  const label = days.length === 1 ? days[0] : `${days[0]}…${days[days.length - 1]}`;
  const progress = reporter.progress(`exporting ${request.table} ${label}`);
  let scanned = 0;
  let matched = 0;
  let unreadable = 0;
  const unreadableIds: string[] = [];
  let lastTick = 0;
  const tick = (text: () => string) => {
    const t = performance.now();
    if (t - lastTick < 250) return;
    lastTick = t;
    progress.update(text());
  };
  const scanStart = performance.now();
  const rate = (n: number, since: number) => Math.round(n / Math.max(0.001, (performance.now() - since) / 1000)).toLocaleString("en-US");

  try {
    await parallelScan(clients.dynamodb, {
      table: request.table,
      segments: request.segments,
      signal,
      onPage: async (items: Item[], count: number) => {
        scanned += count;
        const behind = new Set<SpoolWriter>();
        for (const item of items) {
          const fecha = parseFecha(item.fecha);
          if (!fecha) {
            unreadable++;
            if (unreadableIds.length < UNREADABLE_SAMPLE) unreadableIds.push(idText(item.id));
            continue;
          }
          const index = windowIndexOf(fecha, windows);
          if (index < 0) continue;
          const state = states[index] as DayState;
          state.rows++;
          matched++;
          if (!state.spool) {
            state.signatures.add(shaper.signatureOf(Object.keys(item)).id);
            continue;
          }
          const row = shaper.shape(item);
          state.signatures.add(row.signature.id);
          if (!state.spool.write(row.signature.id, row.cells)) behind.add(state.spool);
        }
        // Backpressure: a segment does not fetch its next page while the disk is behind.
        for (const spool of behind) await spool.drained();
        tick(
          () =>
            `${request.table} ${label}: scanned ${scanned.toLocaleString("en-US")} · matched ${matched.toLocaleString("en-US")} · ${rate(scanned, scanStart)} items/s`,
        );
      },
    });
    for (const state of states) await state.spool?.close();

    if (unreadable > 0) {
      reporter.warn(
        `${unreadable} record(s) of ${request.table} have a missing or unreadable fecha and belong to no day (ids: ${unreadableIds.join(", ")}${unreadable > unreadableIds.length ? ", …" : ""})`,
        { unreadableFecha: unreadable, ids: unreadableIds },
      );
    }

    const manifests: ExportManifest[] = [];
    for (const state of states) {
      signal.throwIfAborted();
      const columns = headerColumns(new Set([...state.signatures].flatMap((id) => shaper.signatures[id]?.names ?? [])));
      let bytes: number | null = null;
      let sha256: string | null = null;
      if (state.spool) {
        const written = await writeDay(clients, request, state, columns, shaper, signal, (n) =>
          tick(
            () =>
              `${request.table} ${state.window.day}: writing ${n.toLocaleString("en-US")} of ${state.rows.toLocaleString("en-US")} rows`,
          ),
        );
        bytes = written.bytes;
        sha256 = written.sha256;
      }
      const manifest: ExportManifest = {
        table: request.table,
        date: state.window.day,
        timeZone: request.timeZone,
        windowStart: new Date(state.window.start).toISOString(),
        windowEnd: new Date(state.window.end).toISOString(),
        rows: state.rows,
        bytes,
        sha256,
        columns,
        scannedCount: scanned,
        segments: request.segments,
        unreadableFecha: unreadable,
        unreadableFechaIds: unreadableIds,
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: new Date(now()).toISOString(),
        complete: startedAt >= state.window.end,
        toolVersion: version,
        location: locationOf(request, state.window.day),
        dryRun,
      };
      if (request.target.kind === "s3") {
        await putManifest(clients.s3 as S3Client, request.target.bucket, request.target.kmsKeyId, manifest, signal);
      }
      reporter.debug(
        `${manifest.date}: ${manifest.rows} rows${bytes === null ? "" : `, ${bytes} bytes`} → ${manifest.location ?? "(dry run)"}`,
      );
      manifests.push(manifest);
    }
    return manifests;
  } catch (error) {
    if (signal.aborted || isAbortError(error)) throw interruptedError("export interrupted; nothing of the unfinished day was written");
    throw toTraceError(error, `export of ${request.table}`);
  } finally {
    progress.stop();
    for (const state of states) state.spool?.destroy();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
}

/** Streams one day from its spool through a sink, hashing; aborts the sink on any failure. */
async function writeDay(
  clients: ExportClients,
  request: ExportRequest,
  state: DayState,
  columns: string[],
  shaper: RowShaper,
  signal: AbortSignal,
  onRows: (rows: number) => void,
): Promise<{ bytes: number; sha256: string }> {
  const sink = openSink(clients, request, state.window.day);
  const hash = createHash("sha256");
  let bytes = 0;
  const emit = async (text: string) => {
    const chunk = Buffer.from(text, "utf8");
    hash.update(chunk);
    bytes += chunk.length;
    await sink.write(chunk);
  };
  const onAbort = () => {
    void sink.abort();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const assembler = new RowAssembler(columns, shaper.signatures);
    let pending = assembler.header;
    let rows = 0;
    for await (const row of readSpool((state.spool as SpoolWriter).path)) {
      pending += assembler.line(row.signatureId, row.cells);
      if (pending.length >= FLUSH_BYTES) {
        signal.throwIfAborted();
        await emit(pending);
        pending = "";
        onRows(rows);
      }
      rows++;
    }
    if (pending) await emit(pending);
    signal.throwIfAborted();
    await sink.finish();
    return { bytes, sha256: hash.digest("hex") };
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
