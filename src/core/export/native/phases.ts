/**
 * The Distributed Map's two phases over the export's data files, one batch of files per worker,
 * each worker's result written beside the run (`<work>/columns/`, `<work>/parts/`) so that no
 * result travels through the state machine's 256 KB state:
 *
 * 1. `collectBatch`: the attribute names of the day's items (the header is made from all of
 *    them, as the scan path makes it) and, for files of a later window, their keys.
 * 2. `writePartBatch`: the batch's rows as one CSV part (no header) under that header, with its
 *    row count and what was set aside (unreadable fecha, `dia` disagreeing).
 *
 * An item in two windows (a key written again within the late-write slack, or in the overlap of
 * a short last window) is exported once, from the latest window that holds it.
 */
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { headerColumns, RowAssembler, RowShaper } from "../columns";
import { DayRouter, type RouteCounts } from "../route";
import { s3Sink } from "../sinks";
import { type ExportLine, parseExportLine } from "./export-lines";
import type { FileRef, NativeClients, NativeJob } from "./job";
import { getJson, listKeys, putJson } from "./objects";

/** CSV text handed to the part's upload in pieces of about this many characters. */
const FLUSH_CHARS = 32 * 1024;

/** What phase one leaves per batch. */
interface BatchColumns {
  names: string[];
  /** Keys of items in files of a window after the first, by window: later images supersede earlier ones. */
  laterKeys: Record<string, string[]>;
}

/** The run's header, made once from every batch's names (`<work>/header.json`). */
export interface NativeHeader {
  columns: string[];
  laterKeys: Record<string, string[]>;
}

/** What phase two leaves per batch (`<work>/parts/<id>.json` beside `<id>.csv`). */
export interface PartFacts {
  id: string;
  rows: number;
  bytes: number;
  itemsRead: number;
  counts: RouteCounts;
}

const batchId = (batch: readonly FileRef[]) => String(Math.min(...batch.map((f) => f.index))).padStart(7, "0");

/**
 * The lines of one data file, streamed: gunzipped and split as they arrive, so a worker holds a
 * line at a time whatever the file's size.
 */
async function* readFile(clients: NativeClients, job: NativeJob, file: FileRef): AsyncGenerator<ExportLine> {
  const out = await clients.s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: file.key }));
  const lines = createInterface({ input: (out.Body as Readable).pipe(createGunzip()), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line.trim() !== "") yield parseExportLine(line, job.keyNames);
}

/** Phase one over one batch: the names of the day's items, and the keys of later windows. */
export async function collectBatch(clients: NativeClients, job: NativeJob, batch: readonly FileRef[]): Promise<void> {
  const names = new Set<string>();
  const laterKeys: Record<string, string[]> = {};
  const router = new DayRouter([job.day], [job.window]);
  for (const file of batch) {
    for await (const line of readFile(clients, job, file)) {
      if (file.window > 0) {
        laterKeys[file.window] ??= [];
        laterKeys[file.window]?.push(line.key);
      }
      if (line.item && router.route(line.item) === 0) for (const name of Object.keys(line.item)) names.add(name);
    }
  }
  const result: BatchColumns = { names: [...names], laterKeys };
  await putJson(clients.s3, job, `${job.work}/columns/${batchId(batch)}.json`, result);
}

/** Merges phase one's results into the run's header (`<work>/header.json`) and returns it. */
export async function writeHeader(clients: NativeClients, job: NativeJob): Promise<NativeHeader> {
  const names = new Set<string>();
  const laterKeys: Record<string, string[]> = {};
  for (const key of await listKeys(clients.s3, job.bucket, `${job.work}/columns/`, (key) => key.endsWith(".json"))) {
    const batch = await getJson<BatchColumns>(clients.s3, job.bucket, key);
    for (const name of batch.names) names.add(name);
    for (const [w, keys] of Object.entries(batch.laterKeys)) laterKeys[w] = [...(laterKeys[w] ?? []), ...keys];
  }
  const header: NativeHeader = { columns: headerColumns(names), laterKeys };
  await putJson(clients.s3, job, `${job.work}/header.json`, header);
  return header;
}

/** Keys that a window after `window` holds again: their image in `window` is not the latest. */
function supersededAfter(header: NativeHeader, window: number): Set<string> {
  const keys = new Set<string>();
  for (const [w, list] of Object.entries(header.laterKeys)) if (Number(w) > window) for (const k of list) keys.add(k);
  return keys;
}

/**
 * Phase two over one batch: its rows as one CSV part (no header), streamed line by line from
 * the files into a multipart upload (memory: a line, a 32 KB buffer and the upload's parts in
 * flight), and its facts beside it. Items deleted or superseded by a later window are skipped;
 * the rest are routed by fecha as on the other paths.
 */
export async function writePartBatch(clients: NativeClients, job: NativeJob, batch: readonly FileRef[]): Promise<PartFacts> {
  const header = await getJson<NativeHeader>(clients.s3, job.bucket, `${job.work}/header.json`);
  const router = new DayRouter([job.day], [job.window]);
  const shaper = new RowShaper(job.spreadsheetSafe);
  const assembler = new RowAssembler(header.columns, shaper.signatures, job.spreadsheetSafe);
  const id = batchId(batch);
  const sink = s3Sink({ s3: clients.s3, bucket: job.bucket, key: `${job.work}/parts/${id}.csv`, kmsKeyId: job.kmsKeyId });
  let rows = 0;
  let bytes = 0;
  let itemsRead = 0;
  let pending = "";
  const flush = async () => {
    const chunk = Buffer.from(pending, "utf8");
    pending = "";
    bytes += chunk.length;
    await sink.write(chunk);
  };
  try {
    for (const file of batch) {
      const superseded = supersededAfter(header, file.window);
      for await (const line of readFile(clients, job, file)) {
        itemsRead++;
        if (!line.item || superseded.has(line.key) || router.route(line.item) !== 0) continue;
        const row = shaper.shape(line.item);
        pending += assembler.line(row.signature.id, row.cells);
        rows++;
        if (pending.length >= FLUSH_CHARS) await flush();
      }
    }
    if (pending) await flush();
    await sink.finish();
  } catch (error) {
    await sink.abort();
    throw error;
  }
  const facts: PartFacts = { id, rows, bytes, itemsRead, counts: router.counts };
  await putJson(clients.s3, job, `${job.work}/parts/${id}.json`, facts);
  return facts;
}

/** Phase two's facts of every batch, in part order. */
export async function readParts(s3: S3Client, job: NativeJob): Promise<PartFacts[]> {
  const keys = await listKeys(s3, job.bucket, `${job.work}/parts/`, (key) => key.endsWith(".json"));
  return Promise.all(keys.map((key) => getJson<PartFacts>(s3, job.bucket, key)));
}
