/**
 * The native path of one day, end to end. `finishNativeDay` is the state machine's last task;
 * `runNativeDay` runs every step in this process (the CLI on the emulator, where Step Functions
 * cannot invoke Lambda, and the benchmark): start the export, follow it, then the map phases (over
 * batches of its files, then over the day's time ranges) with bounded parallelism, as the
 * Distributed Maps would, then the assembly.
 */
import { mapLimit } from "../../concurrency";
import { interruptedError, isAbortError, toTraceError } from "../../errors";
import type { Reporter } from "../../reporter";
import { sleep } from "../../sleep";
import { commitDay } from "../commit";
import { dayManifest, type ExportManifest, objectKey } from "../manifest";
import { previousManifests, warnShrink } from "../reexport";
import { addCounts, noCounts, warnSetAside } from "../route";
import { assembleObject, removeWork } from "./assemble";
import { csvHeader } from "./format-items";
import { batchFiles, exportState, listExportFiles, type NativeClients, type NativeJob, type NativeStart, startNativeExport } from "./job";
import { getJson } from "./objects";
import { collectBatch, type NativeHeader, type RangeRef, writeHeader } from "./phases";
import { mergeRangeBatch, readParts, readRunFacts, writeRunBatch } from "./sorted-parts";

/** Files per map worker (the Distributed Map's ItemBatcher uses the same). */
export const FILES_PER_BATCH = 4;

export interface NativeRunOptions {
  /** Workers at once (the map's MaxConcurrency). */
  concurrency?: number;
  /** The longest wait between two looks at the export's status (the first is 250 ms, then doubling). */
  pollMs?: number;
  now?: () => number;
}

/** Assembles the day's CSV from the parts, commits it with its manifest, removes the run's work objects. */
export async function finishNativeDay(
  clients: NativeClients,
  job: NativeJob,
  reporter: Reporter,
  signal: AbortSignal,
  now = Date.now,
): Promise<ExportManifest> {
  const header = await getJson<NativeHeader>(clients.s3, job.bucket, `${job.work}/header.json`, signal);
  const parts = await readParts(clients.s3, job);
  const runs = await readRunFacts(clients.s3, job);
  const assembled = await assembleObject({
    s3: clients.s3,
    bucket: job.bucket,
    kmsKeyId: job.kmsKeyId,
    key: objectKey(job.table, job.day),
    header: csvHeader(header.columns, job.spreadsheetSafe),
    parts: parts.map((p) => ({ key: `${job.work}/parts/${p.id}.csv`, bytes: p.bytes })),
    signal,
  });
  const counts = noCounts();
  for (const run of runs) addCounts(counts, run.counts);
  warnSetAside(reporter, job.table, counts);
  const rows = parts.reduce((sum, p) => sum + p.rows, 0);
  // The worker's role has no s3:ListBucket: a first export's missing manifest is answered 403.
  const where = { bucket: job.bucket, table: job.table, days: [job.day], forbiddenMeansNone: true };
  const replacesRows = (await previousManifests(clients.s3, where, signal)).get(job.day)?.rows ?? null;
  const manifest = dayManifest({
    table: job.table,
    timeZone: job.timeZone,
    window: job.window,
    rows,
    bytes: assembled.bytes,
    sha256: assembled.sha256,
    columns: header.columns,
    csvVersionId: assembled.versionId ?? null,
    location: `s3://${job.bucket}/${objectKey(job.table, job.day)}`,
    spreadsheetSafe: job.spreadsheetSafe,
    readPath: "native",
    readPathReason: "the native path: DynamoDB's export of the table, read from its data files",
    segments: parts.length,
    itemsRead: runs.reduce((sum, r) => sum + r.itemsRead, 0),
    matched: rows,
    counts,
    startedAt: job.startedAt,
    finishedAt: now(),
    replacesRows,
  });
  warnShrink(reporter, job.table, job.day, rows, replacesRows);
  await commitDay({ kind: "s3", s3: clients.s3, bucket: job.bucket, kmsKeyId: job.kmsKeyId }, manifest, reporter, signal);
  reporter.debug(
    `${job.day}: ${assembled.copied} part(s) copied in S3, ${assembled.buffered} gathered; work objects under ${job.work}/ removed`,
  );
  await removeWork(clients.s3, job.bucket, job.work).catch((error: unknown) =>
    reporter.warn(`could not remove the run's work objects under s3://${job.bucket}/${job.work}/ (${toTraceError(error).message})`),
  );
  return manifest;
}

/** Runs the native path of one day in this process, reporting progress. */
export async function runNativeDay(
  clients: NativeClients,
  start: Omit<NativeStart, "now">,
  reporter: Reporter,
  signal: AbortSignal,
  options: NativeRunOptions = {},
): Promise<ExportManifest> {
  const now = options.now ?? Date.now;
  const progress = reporter.progress(`exporting ${start.table} ${start.day} through DynamoDB's export`);
  try {
    const job = await startNativeExport(clients, { ...start, now: now() }, signal);
    reporter.debug(`${start.day}: ${job.plan.type} (${job.exports.length} export(s)) into s3://${job.bucket}/${job.work}/`);
    const began = performance.now();
    // DynamoDB's exports take minutes; an emulator's, milliseconds: look soon, then less often.
    for (let wait = 250; ; wait = Math.min(wait * 2, options.pollMs ?? 5_000)) {
      const state = await exportState(clients, job, signal);
      if (state.status === "COMPLETED") break;
      progress.update(
        `${start.table} ${start.day}: DynamoDB export ${state.completed}/${state.total} done · ${Math.round((performance.now() - began) / 1000)} s`,
      );
      await sleep(wait, signal);
    }
    const batches = batchFiles(await listExportFiles(clients, job, signal), FILES_PER_BATCH);
    // One Distributed Map phase: the batches through `work`, `concurrency` at a time, counted.
    const phase = async <T>(name: string, items: T[][], work: (batch: T[]) => Promise<unknown>) => {
      let done = 0;
      const each = async (batch: T[]) => {
        await work(batch);
        progress.update(`${start.table} ${start.day}: ${name} ${++done}/${items.length} batch(es)`);
      };
      await mapLimit(items, options.concurrency ?? 4, each, signal);
    };
    await phase("columns", batches, (batch) => collectBatch(clients, job, batch));
    const { header } = await writeHeader(clients, job);
    await phase("sorted runs", batches, (batch) => writeRunBatch(clients, job, batch));
    // The range map's ItemBatcher hands each worker one time range.
    await phase<RangeRef>("time ranges", batchFiles(header.ranges, 1), (ranges) => mergeRangeBatch(clients, job, ranges));
    progress.update(`${start.table} ${start.day}: assembling the CSV`);
    return await finishNativeDay(clients, job, reporter, signal, now);
  } catch (error) {
    if (signal.aborted || isAbortError(error)) throw interruptedError(`export of ${start.day} interrupted; nothing of the day was written`);
    throw toTraceError(error, `native export of ${start.table}`);
  } finally {
    progress.stop();
  }
}
