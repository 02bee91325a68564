/**
 * The native path's phases over the export's data files, one batch of files per map worker, each
 * worker's result written beside the run (`<work>/columns/`, `<work>/runs/`, `<work>/parts/`) so
 * that no result travels through the state machine's 256 KB state:
 *
 * 1. `collectBatch`: the attribute names of the day's items (the header is made from all of
 *    them, as the scan path makes it), how many fall in each minute of the day (the time ranges
 *    are cut from that), and, for files of a later window, their keys.
 * 2. `writeHeader`: the header, and the day cut into time ranges of about `rowsPerRange` rows.
 * 3. `writeRunBatch` (sorted-parts.ts): the batch's rows, formatted, in the day's order, as one
 *    run object, with where each time range begins in it.
 * 4. `mergeRangeBatch` (sorted-parts.ts): per time range, the batches' slices merged into one CSV
 *    part (no header): each part is sorted and the parts follow one another in time, so the
 *    assembly's concatenation is the day in its one order (row-order.ts).
 *
 * An item in two windows (a key written again within the late-write slack, or in the overlap of
 * a short last window) is exported once, from the latest window that holds it.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { headerColumns } from "../columns";
import type { DayWindow } from "../day-window";
import { DayRouter } from "../route";
import { rowKey } from "../row-order";
import { type ExportLine, parseExportLine } from "./export-lines";
import type { FileRef, NativeClients, NativeJob } from "./job";
import { getJson, listKeys, putJson } from "./objects";

/** Rows a time range holds, about (the day is cut at whole minutes): one map worker merges one range. */
export const ROWS_PER_RANGE = 500_000;
const MINUTE = 60_000;

/** What phase one leaves per batch. */
interface BatchColumns {
  names: string[];
  /** The day's rows of the batch by minute of the day (minutes from the window's start; absent: none). */
  minutes: Record<string, number>;
  /** Keys of items in files of a window after the first, by window: later images supersede earlier ones. */
  laterKeys: Record<string, string[]>;
}

/** A time range of the day `[from, to)` (epoch ms; a plain-date fecha sorts at the day's start). */
export interface RangeRef {
  index: number;
  from: number;
  to: number;
}

/** The run's header, made once from every batch's names (`<work>/header.json`), and the day's time ranges. */
export interface NativeHeader {
  columns: string[];
  laterKeys: Record<string, string[]>;
  ranges: RangeRef[];
}

export const batchId = (batch: readonly { index: number }[]) => String(Math.min(...batch.map((f) => f.index))).padStart(7, "0");

/**
 * The lines of one data file, streamed: gunzipped and split as they arrive, so a worker holds a
 * line at a time whatever the file's size.
 */
export async function* readFile(clients: NativeClients, job: NativeJob, file: FileRef): AsyncGenerator<ExportLine> {
  const out = await clients.s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: file.key }));
  const lines = createInterface({ input: (out.Body as Readable).pipe(createGunzip()), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line.trim() !== "") yield parseExportLine(line, job.keyNames);
}

/** Phase one over one batch: the names of the day's items, their count by minute, and the keys of later windows. */
export async function collectBatch(clients: NativeClients, job: NativeJob, batch: readonly FileRef[]): Promise<void> {
  const names = new Set<string>();
  const minutes: Record<string, number> = {};
  const laterKeys: Record<string, string[]> = {};
  const router = new DayRouter([job.day], [job.window]);
  for (const file of batch) {
    for await (const line of readFile(clients, job, file)) {
      if (file.window > 0) {
        laterKeys[file.window] ??= [];
        laterKeys[file.window]?.push(line.key);
      }
      if (!line.item || router.route(line.item) !== 0) continue;
      for (const name of Object.keys(line.item)) names.add(name);
      const minute = Math.floor((rowKey(line.item, job.window).t - job.window.start) / MINUTE);
      minutes[minute] = (minutes[minute] ?? 0) + 1;
    }
  }
  const result: BatchColumns = { names: [...names], minutes, laterKeys };
  await putJson(clients.s3, job, `${job.work}/columns/${batchId(batch)}.json`, result);
}

/**
 * The day `[start, end)` cut at whole minutes into consecutive ranges of at least `rowsPerRange`
 * rows each (the last may hold fewer; a minute is never split, so one range may hold more).
 */
export function cutRanges(window: DayWindow, minutes: Record<string, number>, rowsPerRange: number): RangeRef[] {
  const ranges: RangeRef[] = [];
  let from = window.start;
  let rows = 0;
  const last = Math.ceil((window.end - window.start) / MINUTE);
  for (let m = 0; m < last; m++) {
    rows += minutes[m] ?? 0;
    const to = window.start + (m + 1) * MINUTE;
    if (rows >= rowsPerRange && to < window.end) {
      ranges.push({ index: ranges.length, from, to });
      from = to;
      rows = 0;
    }
  }
  ranges.push({ index: ranges.length, from, to: window.end });
  return ranges;
}

/**
 * Merges phase one's results into the run's header (`<work>/header.json`) and the day's time
 * ranges, also written as the range map's item list (`<work>/ranges.json`). Returns the header
 * and where the list is.
 */
export async function writeHeader(
  clients: NativeClients,
  job: NativeJob,
): Promise<{ header: NativeHeader; bucket: string; key: string; count: number }> {
  const names = new Set<string>();
  const minutes: Record<string, number> = {};
  const laterKeys: Record<string, string[]> = {};
  for (const key of await listKeys(clients.s3, job.bucket, `${job.work}/columns/`, (key) => key.endsWith(".json"))) {
    const batch = await getJson<BatchColumns>(clients.s3, job.bucket, key);
    for (const name of batch.names) names.add(name);
    for (const [m, n] of Object.entries(batch.minutes)) minutes[m] = (minutes[m] ?? 0) + n;
    for (const [w, keys] of Object.entries(batch.laterKeys)) laterKeys[w] = [...(laterKeys[w] ?? []), ...keys];
  }
  const ranges = cutRanges(job.window, minutes, job.rowsPerRange ?? ROWS_PER_RANGE);
  const header: NativeHeader = { columns: headerColumns(names), laterKeys, ranges };
  await putJson(clients.s3, job, `${job.work}/header.json`, header);
  const key = `${job.work}/ranges.json`;
  await putJson(clients.s3, job, key, ranges);
  return { header, bucket: job.bucket, key, count: ranges.length };
}

/** Keys that a window after `window` holds again: their image in `window` is not the latest. */
export function supersededAfter(header: NativeHeader, window: number): Set<string> {
  const keys = new Set<string>();
  for (const [w, list] of Object.entries(header.laterKeys)) if (Number(w) > window) for (const k of list) keys.add(k);
  return keys;
}
