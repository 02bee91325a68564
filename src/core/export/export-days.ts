/**
 * The daily export, end to end: one parallel scan routes each record to the day its `fecha`
 * falls on (in the business zone), formats it into CSV cells at once and spools it to local disk;
 * when the scan ends each day's header is known, and the day's rows stream from the spool
 * through the sink (S3 multipart upload with SSE-KMS, a file, stdout), hashed on the way; then
 * the manifest. Memory holds one page per segment, a few buffers and the set of column names.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, isAbortError, TraceError, toTraceError, usageError } from "../errors";
import type { Reporter } from "../reporter";
import { headerColumns, RowShaper } from "./columns";
import { commitDay, commitTargetOf } from "./commit";
import { type Day, type DayWindow, dayWindow } from "./day-window";
import { fechaScanFilter } from "./fecha-filter";
import { dayManifest, type ExportManifest } from "./manifest";
import { DAY_ATTRIBUTE, indexUnusable, queryDays } from "./read-query";
import { guardReexport, previousExports, warnShrink } from "./reexport";
import { DEFAULT_SLACK_MS, type ExportClients, type ExportRequest, MAX_DAYS_PER_SCAN, preflight, validateRequest } from "./request";
import { DayRouter, warnSetAside } from "./route";
import { rowKey } from "./row-order";
import { type Item, parallelScan } from "./scan";
import { cellsPayload, SpoolWriter } from "./spool";
import { SpoolSpace } from "./spool-space";
import { type Ledger, readLedger } from "./stamp/ledger";
import { UNREADABLE_DAY } from "./stamp/stamp-item";
import { type IndexTrust, queryComplete, trustDayIndex } from "./stamp/trust";
import { locationOf, writeDay } from "./write-day";

export type { ExportClients, ExportRequest } from "./request";

/** What an interrupted export finished, and the command that does the rest (the days not committed). */
function interrupted(days: readonly Day[], committed: readonly ExportManifest[]): TraceError {
  const done = new Set(committed.map((m) => m.date));
  const left = days.filter((d) => !done.has(d));
  const dates = committed.map((m) => m.date);
  const list = dates.length <= 5 ? dates.join(", ") : `${dates.length} days (${dates[0]} … ${dates[dates.length - 1]})`;
  const message =
    committed.length === 0
      ? "export interrupted; nothing of the unfinished day was written"
      : `export interrupted after committing ${list} (CSV and manifest complete); nothing of an unfinished day was written`;
  const resume =
    left.length === 0 ? undefined : left.length === 1 ? `--date ${left[0]}` : `--from ${left[0]} --to ${left[left.length - 1]}`;
  return new TraceError(ErrorCode.interrupted, message, resume ? { hint: `resume with: trace export ${resume}` } : {});
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
  validateRequest(request);
  const description = await preflight(clients, request, signal);
  const previous = await previousExports(clients.s3, request, signal);
  const ledger = request.engine === "scan" || indexUnusable(description) ? undefined : await ledgerOf(clients, request, signal);
  const itemCount = description?.ItemCount ?? 0;
  /** The days in groups of one read each, each read on the path its days can trust. */
  const groups = async (req: ExportRequest, prior: ReadonlyMap<Day, ExportManifest | null>) => {
    const manifests: ExportManifest[] = [];
    for (let i = 0; i < req.days.length; i += MAX_DAYS_PER_SCAN) {
      const days = req.days.slice(i, i + MAX_DAYS_PER_SCAN);
      const read = chooseRead(req, { description, ledger, days }, reporter);
      manifests.push(
        ...(await exportGroup(clients, req, days, itemCount, reporter, signal, { committedBefore: manifests, read, previous: prior })),
      );
    }
    return manifests;
  };
  // Days beyond the retention with an export: re-exported if unchanged (read now and hashed,
  // writing nothing), else refused; or, for the schedule, kept.
  const measure = (refused: readonly Day[]) => {
    const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
    return groups({ ...request, days: refused, target: { kind: "stream", stream: discard } }, new Map());
  };
  const kept = await guardReexport(request, previous, reporter, measure);
  if (kept.length > 0) request = { ...request, days: request.days.filter((day) => !kept.includes(day)) };
  if (request.days.length === 0) return [];
  if (request.engine === "native") return exportNative(clients, request, reporter, signal);
  const manifests = await groups(request, previous);
  // An interrupt that arrived while the last day was being committed is honoured now.
  if (signal.aborted) throw interrupted(request.days, manifests);
  return manifests;
}

/** The stamper's ledger in the data bucket: null when there is none, undefined (and why) when it cannot be read here. */
async function ledgerOf(
  clients: ExportClients,
  request: ExportRequest,
  signal: AbortSignal,
): Promise<{ ledger: Ledger | null | undefined; unknown?: string }> {
  const bucket = request.ledgerBucket ?? (request.target.kind === "s3" ? request.target.bucket : undefined);
  if (!bucket || !clients.s3)
    return { ledger: undefined, unknown: "the data bucket is not known here, so the stamping ledger cannot be read" };
  try {
    return { ledger: await readLedger(clients.s3, bucket, request.table, signal) };
  } catch (error) {
    return { ledger: undefined, unknown: `the stamping ledger could not be read (${toTraceError(error).message})` };
  }
}

/** The native path, day by day (each its own DynamoDB export); the S3 target is checked by validateRequest. */
async function exportNative(
  clients: ExportClients,
  request: ExportRequest,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<ExportManifest[]> {
  const { runNativeDay } = await import("./native/run");
  const { runNativeMachine } = await import("./native/follow");
  const target = request.target as Extract<ExportRequest["target"], { kind: "s3" }>;
  const manifests: ExportManifest[] = [];
  const machine = request.native?.stateMachineArn;
  for (const day of request.days) {
    if (machine) {
      if (!clients.sfn) throw new TraceError(ErrorCode.failed, "no Step Functions client given for the native export's state machine");
      manifests.push(
        await runNativeMachine(clients.sfn, machine, day, reporter, signal, { pollMs: request.native?.pollMs, now: request.now }),
      );
      continue;
    }
    const start = {
      table: request.table,
      day,
      timeZone: request.timeZone,
      bucket: target.bucket,
      kmsKeyId: target.kmsKeyId,
      spreadsheetSafe: request.spreadsheetSafe === true,
      slackMs: request.native?.slackMs ?? DEFAULT_SLACK_MS,
    };
    const options = { ...request.native, now: request.now };
    manifests.push(await runNativeDay({ dynamodb: clients.dynamodb, s3: clients.s3 as S3Client }, start, reporter, signal, options));
  }
  return manifests;
}

/**
 * The read path of one group of days. `--engine scan` scans. Otherwise the index is queried only
 * when it can be shown complete for the days (stamp/trust.ts), else the table is scanned and the
 * reason recorded; `--engine query` on a table without the index at all is refused.
 */
function chooseRead(
  request: ExportRequest,
  found: {
    description: Parameters<typeof trustDayIndex>[0]["description"];
    ledger?: { ledger: Ledger | null | undefined; unknown?: string };
    days: readonly Day[];
  },
  reporter: Reporter,
): IndexTrust {
  if (request.engine === "scan") return { readPath: "scan", reason: "--engine scan" };
  const unusable = indexUnusable(found.description);
  if (request.engine === "query" && unusable) {
    throw usageError(
      `table "${request.table}" cannot be queried by day: ${unusable} (hash key ${DAY_ATTRIBUTE}, projection ALL, ACTIVE)`,
      "drop --engine (the export scans), or deploy the traceability stack with dayIndex: true",
    );
  }
  const trust = trustDayIndex({
    description: found.description,
    ledger: found.ledger?.ledger,
    ledgerUnknown: found.ledger?.unknown,
    days: found.days,
    timeZone: request.timeZone,
    now: (request.now ?? Date.now)(),
    slackMs: request.lateWriteSlackMs ?? DEFAULT_SLACK_MS,
  });
  if (trust.readPath === "scan" && !unusable)
    reporter.warn(
      `${request.table}: the day index cannot be shown complete for ${found.days.join(", ")} (${trust.reason}); scanning the table instead`,
      {
        readPathReason: trust.reason,
      },
    );
  return trust;
}

interface DayState {
  window: DayWindow;
  rows: number;
  signatures: Set<number>;
  spool: SpoolWriter | undefined;
}

/** Counts and progress of one group's read, shared by its segments' pages. */
interface GroupRead {
  states: DayState[];
  shaper: RowShaper;
  router: DayRouter;
  scanned: number;
  matched: number;
}

/** Routes, shapes and spools one page; returns the spools that are behind (backpressure). */
function spoolPage(group: GroupRead, items: Item[]): Set<SpoolWriter> {
  const behind = new Set<SpoolWriter>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Item;
    // Released as soon as it is spooled: a page held whole across the caller's awaits would
    // outlive the young generation and be promoted (see SCAN_PAGE_ITEMS).
    (items as unknown[])[i] = undefined;
    const index = group.router.route(item);
    if (index < 0) continue;
    const state = group.states[index] as DayState;
    state.rows++;
    group.matched++;
    if (!state.spool) {
      state.signatures.add(group.shaper.signatureOf(Object.keys(item)).id);
      continue;
    }
    const row = group.shaper.shape(item);
    state.signatures.add(row.signature.id);
    if (!state.spool.write(rowKey(item, state.window), cellsPayload(row.signature.id, row.cells))) behind.add(state.spool);
  }
  return behind;
}

/** A progress line at most every 250 ms. */
function throttled(update: (text: string) => void): (text: () => string) => void {
  let last = 0;
  return (text) => {
    const t = performance.now();
    if (t - last < 250) return;
    last = t;
    update(text());
  };
}

const count = (n: number) => n.toLocaleString("en-US");

async function exportGroup(
  clients: ExportClients,
  request: ExportRequest,
  days: readonly Day[],
  tableItems: number,
  reporter: Reporter,
  signal: AbortSignal,
  run: { committedBefore: readonly ExportManifest[]; read: IndexTrust; previous: ReadonlyMap<Day, ExportManifest | null> },
): Promise<ExportManifest[]> {
  const { committedBefore, read } = run;
  const { readPath } = read;
  const startedAt = (request.now ?? Date.now)();
  const spoolDir = request.target.kind === "none" ? undefined : await mkdtemp(join(request.spoolDir ?? tmpdir(), "trace-export-"));
  const states: DayState[] = days.map((day, i) => ({
    window: dayWindow(day, request.timeZone),
    rows: 0,
    signatures: new Set(),
    spool: spoolDir ? new SpoolWriter(join(spoolDir, `${i}.spool`)) : undefined,
  }));
  const windows = states.map((s) => s.window);
  const group: GroupRead = {
    states,
    shaper: new RowShaper(request.spreadsheetSafe === true),
    router: new DayRouter(days, windows),
    scanned: 0,
    matched: 0,
  };
  const label = days.length === 1 ? days[0] : `${days[0]}…${days[days.length - 1]}`;
  const progress = reporter.progress(`exporting ${request.table} ${label}`);
  const tick = throttled((text) => progress.update(text));
  const scanStart = performance.now();
  const manifests: ExportManifest[] = [];
  let commitFailure: unknown;
  const space = spoolDir ? new SpoolSpace({ ...request.spoolDisk, dir: spoolDir, tableItems }) : undefined;
  const spooled = () => states.reduce((sum, s) => sum + (s.spool?.size ?? 0), 0);
  const verb = readPath === "query" ? "queried" : "scanned";

  try {
    await space?.before();
    const reader = {
      table: request.table,
      signal,
      filter: fechaScanFilter(windows),
      onPage: async (items: Item[], scanned: number) => {
        group.scanned += scanned;
        // Backpressure: a segment does not fetch its next page while the disk is behind.
        for (const spool of spoolPage(group, items)) await spool.drained();
        await space?.during(spooled(), group.scanned);
        const rate = Math.round(group.scanned / Math.max(0.001, (performance.now() - scanStart) / 1000));
        tick(() => `${request.table} ${label}: ${verb} ${count(group.scanned)} · matched ${count(group.matched)} · ${count(rate)} items/s`);
      },
    };
    // The days' own partitions, and the one of records whose fecha cannot be read (counted, never exported).
    if (readPath === "query") await queryDays(clients.dynamodb, { ...reader, partitions: [...days, UNREADABLE_DAY] });
    else await parallelScan(clients.dynamodb, { ...reader, segments: request.segments });
    for (const state of states) await state.spool?.close();
    warnSetAside(reporter, request.table, group.router.counts);

    const commit = commitTargetOf(request.target, clients.s3);
    for (const state of states) {
      signal.throwIfAborted();
      const replacesRows = run.previous.get(state.window.day)?.rows ?? null;
      const manifest = await finishDay(clients, request, group, state, { read, startedAt, tick, replacesRows }, signal);
      warnShrink(reporter, request.table, manifest.date, manifest.rows, replacesRows);
      // From here the CSV is complete: the manifest commits it (commit.ts), even if interrupted.
      if (commit) {
        try {
          await commitDay(commit, manifest, reporter, signal);
        } catch (error) {
          commitFailure = error;
          throw error;
        }
      }
      reporter.debug(
        `${manifest.date}: ${manifest.rows} rows${manifest.bytes === null ? "" : `, ${manifest.bytes} bytes`} → ${manifest.location ?? "(dry run)"}`,
      );
      manifests.push(manifest);
    }
    return manifests;
  } catch (error) {
    // A commit that failed says what it left; an interrupt honoured after it does not hide that.
    if (error === commitFailure) throw error;
    if (signal.aborted || isAbortError(error)) throw interrupted(request.days, [...committedBefore, ...manifests]);
    throw toTraceError(error, `export of ${request.table}`);
  } finally {
    progress.stop();
    for (const state of states) state.spool?.destroy();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
}

/** Writes one day's CSV from its spool (none on a dry run) and makes its manifest, not yet committed. */
async function finishDay(
  clients: ExportClients,
  request: ExportRequest,
  group: GroupRead,
  state: DayState,
  run: { read: IndexTrust; startedAt: number; tick: (text: () => string) => void; replacesRows: number | null },
  signal: AbortSignal,
): Promise<ExportManifest> {
  const { shaper } = group;
  const columns = headerColumns(new Set([...state.signatures].flatMap((id) => shaper.signatures[id]?.names ?? [])));
  const day = state.window.day;
  const written = state.spool
    ? await writeDay(clients, request, { day, spool: state.spool, columns, signatures: shaper.signatures }, signal, (n) =>
        run.tick(() => `${request.table} ${day}: writing ${count(n)} of ${count(state.rows)} rows`),
      )
    : undefined;
  return dayManifest({
    table: request.table,
    timeZone: request.timeZone,
    window: state.window,
    rows: state.rows,
    bytes: written?.bytes ?? null,
    sha256: written?.sha256 ?? null,
    columns,
    csvVersionId: written?.versionId ?? null,
    location: locationOf(request, day),
    spreadsheetSafe: request.spreadsheetSafe === true,
    readPath: run.read.readPath,
    readPathReason: run.read.reason,
    indexWatermark: run.read.watermark ?? null,
    ...(run.read.watermark === undefined
      ? {}
      : { complete: queryComplete(day, request.timeZone, run.read.watermark, request.lateWriteSlackMs ?? DEFAULT_SLACK_MS) }),
    segments: request.segments,
    itemsRead: group.scanned,
    matched: group.matched,
    counts: group.router.counts,
    startedAt: run.startedAt,
    finishedAt: (request.now ?? Date.now)(),
    replacesRows: run.replacesRows,
  });
}
