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
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { interruptedError, isAbortError, toTraceError, usageError } from "../errors";
import type { Reporter } from "../reporter";
import { version } from "../version";
import { headerColumns, RowShaper } from "./columns";
import { commitDay } from "./commit";
import { type Day, type DayWindow, dayWindow } from "./day-window";
import { parseFecha, windowIndexOf } from "./fecha";
import { fechaScanFilter } from "./fecha-filter";
import type { ExportManifest } from "./manifest";
import { DAY_ATTRIBUTE, DAY_INDEX, hasDayIndex, partitionsFor, queryDays, type ReadPath } from "./read-query";
import { type ExportClients, type ExportRequest, MAX_DAYS_PER_SCAN, preflight, validateRequest } from "./request";
import { type Item, parallelScan } from "./scan";
import { SpoolWriter } from "./spool";
import { SpoolSpace } from "./spool-space";
import { locationOf, writeDay } from "./write-day";

export type { ExportClients, ExportRequest } from "./request";

const UNREADABLE_SAMPLE = 20;

function interruptedMessage(committed: readonly ExportManifest[]): string {
  if (committed.length === 0) return "export interrupted; nothing of the unfinished day was written";
  return `export interrupted after committing ${committed.map((m) => m.date).join(", ")} (CSV and manifest complete); nothing of an unfinished day was written`;
}

interface DayState {
  window: DayWindow;
  rows: number;
  signatures: Set<number>;
  spool: SpoolWriter | undefined;
}

const idText = (value: AttributeValue | undefined): string =>
  value?.S ?? value?.N ?? (value?.B ? Buffer.from(value.B).toString("base64") : "(no id)");

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
  const readPath = chooseReadPath(request, hasDayIndex(description));
  const itemCount = description?.ItemCount ?? 0;
  const manifests: ExportManifest[] = [];
  for (let i = 0; i < request.days.length; i += MAX_DAYS_PER_SCAN) {
    const days = request.days.slice(i, i + MAX_DAYS_PER_SCAN);
    manifests.push(...(await exportGroup(clients, request, days, itemCount, reporter, signal, manifests, readPath)));
  }
  // An interrupt that arrived while the last day was being committed is honoured now.
  if (signal.aborted) throw interruptedError(interruptedMessage(manifests));
  return manifests;
}

/** `--engine query` on a table without the day index is refused; no engine means query when the index is there. */
function chooseReadPath(request: ExportRequest, indexed: boolean): ReadPath {
  if (request.engine === "query" && !indexed) {
    throw usageError(
      `table "${request.table}" has no ACTIVE ${DAY_INDEX} index (hash key ${DAY_ATTRIBUTE}, projection ALL) to query`,
      "drop --engine (the export scans), or deploy the traceability stack with dayIndex: true",
    );
  }
  return request.engine ?? (indexed ? "query" : "scan");
}

async function exportGroup(
  clients: ExportClients,
  request: ExportRequest,
  days: readonly Day[],
  tableItems: number,
  reporter: Reporter,
  signal: AbortSignal,
  committedBefore: readonly ExportManifest[],
  readPath: ReadPath,
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
  const shaper = new RowShaper(request.spreadsheetSafe === true);
  const label = days.length === 1 ? days[0] : `${days[0]}…${days[days.length - 1]}`;
  const progress = reporter.progress(`exporting ${request.table} ${label}`);
  let scanned = 0;
  let matched = 0;
  let unreadable = 0;
  const unreadableIds: string[] = [];
  let mismatched = 0;
  const mismatchIds: string[] = [];
  const dayIndexOf = new Map(days.map((day, i) => [day, i]));
  let lastTick = 0;
  const tick = (text: () => string) => {
    const t = performance.now();
    if (t - lastTick < 250) return;
    lastTick = t;
    progress.update(text());
  };
  const scanStart = performance.now();
  const manifests: ExportManifest[] = [];
  let commitFailure: unknown;
  const rate = (n: number, since: number) => Math.round(n / Math.max(0.001, (performance.now() - since) / 1000)).toLocaleString("en-US");

  const space = spoolDir ? new SpoolSpace({ ...request.spoolDisk, dir: spoolDir, tableItems }) : undefined;
  const spooled = () => states.reduce((sum, s) => sum + (s.spool?.size ?? 0), 0);

  try {
    await space?.before();
    const read = {
      table: request.table,
      signal,
      filter: fechaScanFilter(windows),
      onPage: async (items: Item[], count: number) => {
        scanned += count;
        const behind = new Set<SpoolWriter>();
        for (let i = 0; i < items.length; i++) {
          const item = items[i] as Item;
          // Released as soon as it is spooled: a page held whole across the awaits below would
          // outlive the young generation and be promoted (see SCAN_PAGE_ITEMS).
          (items as unknown[])[i] = undefined;
          const fecha = parseFecha(item.fecha);
          if (!fecha) {
            unreadable++;
            if (unreadableIds.length < UNREADABLE_SAMPLE) unreadableIds.push(idText(item.id));
            continue;
          }
          const index = windowIndexOf(fecha, windows);
          // The day attribute is the writer's claim; fecha decides. A disagreement within reach
          // of this group is counted and named (and the record goes to its fecha's day, if here).
          const dia = item[DAY_ATTRIBUTE]?.S;
          if (dia !== undefined && (index >= 0 || dayIndexOf.has(dia)) && dia !== (index >= 0 ? days[index] : undefined)) {
            mismatched++;
            if (mismatchIds.length < UNREADABLE_SAMPLE) mismatchIds.push(idText(item.id));
          }
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
        await space?.during(spooled(), scanned);
        tick(
          () =>
            `${request.table} ${label}: ${readPath === "query" ? "queried" : "scanned"} ${scanned.toLocaleString("en-US")} · matched ${matched.toLocaleString("en-US")} · ${rate(scanned, scanStart)} items/s`,
        );
      },
    };
    if (readPath === "query") await queryDays(clients.dynamodb, { ...read, partitions: partitionsFor(days) });
    else await parallelScan(clients.dynamodb, { ...read, segments: request.segments });
    for (const state of states) await state.spool?.close();
    if (mismatched > 0) {
      reporter.warn(
        `${mismatched} record(s) of ${request.table} have a ${DAY_ATTRIBUTE} that disagrees with their fecha; fecha decides their day, so each goes to (or stays out of) this export by fecha (ids: ${mismatchIds.join(", ")}${mismatched > mismatchIds.length ? ", …" : ""})`,
        { dayMismatch: mismatched, ids: mismatchIds },
      );
    }

    if (unreadable > 0) {
      reporter.warn(
        `${unreadable} record(s) of ${request.table} have a missing or unreadable fecha and belong to no day (ids: ${unreadableIds.join(", ")}${unreadable > unreadableIds.length ? ", …" : ""})`,
        { unreadableFecha: unreadable, ids: unreadableIds },
      );
    }

    for (const state of states) {
      signal.throwIfAborted();
      const columns = headerColumns(new Set([...state.signatures].flatMap((id) => shaper.signatures[id]?.names ?? [])));
      let bytes: number | null = null;
      let sha256: string | null = null;
      let csvVersionId: string | null = null;
      if (state.spool) {
        const written = await writeDay(
          clients,
          request,
          { day: state.window.day, spoolPath: state.spool.path, columns, signatures: shaper.signatures },
          signal,
          (n) =>
            tick(
              () =>
                `${request.table} ${state.window.day}: writing ${n.toLocaleString("en-US")} of ${state.rows.toLocaleString("en-US")} rows`,
            ),
        );
        bytes = written.bytes;
        sha256 = written.sha256;
        csvVersionId = written.versionId ?? null;
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
        csvVersionId,
        spreadsheetSafe: request.spreadsheetSafe === true,
        dryRun,
        readPath,
        itemsRead: scanned,
        readAmplification: matched > 0 ? Math.round((scanned / matched) * 100) / 100 : null,
        dayMismatch: mismatched,
        dayMismatchIds: mismatchIds,
      };
      // From here the CSV is complete: the manifest commits it (commit.ts), even if interrupted.
      const target = request.target;
      const commit =
        target.kind === "s3"
          ? ({ kind: "s3", s3: clients.s3 as S3Client, bucket: target.bucket, kmsKeyId: target.kmsKeyId } as const)
          : target.kind === "file"
            ? ({ kind: "file", path: target.path } as const)
            : undefined;
      if (commit) {
        try {
          await commitDay(commit, manifest, reporter, signal);
        } catch (error) {
          commitFailure = error;
          throw error;
        }
      }
      reporter.debug(
        `${manifest.date}: ${manifest.rows} rows${bytes === null ? "" : `, ${bytes} bytes`} → ${manifest.location ?? "(dry run)"}`,
      );
      manifests.push(manifest);
    }
    return manifests;
  } catch (error) {
    // A commit that failed says what it left; an interrupt honoured after it does not hide that.
    if (error === commitFailure) throw error;
    if (signal.aborted || isAbortError(error)) throw interruptedError(interruptedMessage([...committedBefore, ...manifests]));
    throw toTraceError(error, `export of ${request.table}`);
  } finally {
    progress.stop();
    for (const state of states) state.spool?.destroy();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
}
