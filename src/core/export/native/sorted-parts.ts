/**
 * The native path's sort, in two map phases (phases.ts names them 3 and 4), so that each part is
 * sorted and the parts concatenate in the day's order (row-order.ts) however many workers run:
 *
 * - `writeRunBatch`, per batch of data files: the batch's rows formatted under the run's header,
 *   sorted within bounded memory (the spool's sorted runs in the worker's /tmp, merged), uploaded
 *   as one run object `<work>/runs/<batch>.txt` in spool lines (key, then the CSV line as JSON),
 *   and beside it its facts: rows, items read, records set aside, and the byte offset where each
 *   time range of the day begins in the object.
 * - `mergeRangeBatch`, per time range: every batch's slice of that range (a ranged GET each)
 *   merged into one CSV part `<work>/parts/<range>.csv` (rows with equal keys by their line), and
 *   its facts. Range `r`'s rows all come before range `r + 1`'s, so parts in range order are the
 *   whole day in order.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { RowAssembler, RowShaper } from "../columns";
import { DayRouter, type RouteCounts } from "../route";
import { rowKey, TieOrder } from "../row-order";
import { s3Sink } from "../sinks";
import { encodeRow, mergeSorted, RunReader, type RunSource, SpoolWriter } from "../spool";
import type { FileRef, NativeClients, NativeJob } from "./job";
import { getJson, listKeys, putJson } from "./objects";
import { batchId, type NativeHeader, type RangeRef, readFile, supersededAfter } from "./phases";

/** Text handed to an upload in pieces of about this many characters. */
const FLUSH_CHARS = 32 * 1024;

/** What a batch's run leaves (`<work>/runs/<id>.json` beside `<id>.txt`). */
export interface RunFacts {
  id: string;
  rows: number;
  itemsRead: number;
  counts: RouteCounts;
  /** Byte offset in the run object where each time range begins; one more entry: the object's size. */
  offsets: number[];
}

/** What a range's merge leaves (`<work>/parts/<range>.json` beside `<range>.csv`). */
export interface PartFacts {
  id: string;
  rows: number;
  bytes: number;
}

const rangeId = (index: number) => String(index).padStart(7, "0");

/** An upload fed text; counts its bytes. */
function textUpload(clients: NativeClients, job: NativeJob, key: string) {
  const sink = s3Sink({ s3: clients.s3, bucket: job.bucket, key, kmsKeyId: job.kmsKeyId });
  let pending = "";
  let bytes = 0;
  const flush = async () => {
    const chunk = Buffer.from(pending, "utf8");
    pending = "";
    bytes += chunk.length;
    await sink.write(chunk);
  };
  return {
    /** Bytes written so far, the pending text included (flushes it). */
    async offset(): Promise<number> {
      if (pending) await flush();
      return bytes;
    },
    async add(text: string): Promise<void> {
      pending += text;
      if (pending.length >= FLUSH_CHARS) await flush();
    },
    async finish(): Promise<number> {
      if (pending) await flush();
      await sink.finish();
      return bytes;
    },
    abort: () => sink.abort(),
  };
}

/** A scratch directory in the worker's /tmp, removed after `work`. */
async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "trace-native-"));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Spools a batch's rows, formatted, into sorted runs on local disk; returns the spool and its counts. */
async function spoolBatch(clients: NativeClients, job: NativeJob, header: NativeHeader, batch: readonly FileRef[], dir: string) {
  const router = new DayRouter([job.day], [job.window]);
  const shaper = new RowShaper(job.spreadsheetSafe);
  const assembler = new RowAssembler(header.columns, shaper.signatures, job.spreadsheetSafe);
  const spool = new SpoolWriter(join(dir, "rows"));
  let itemsRead = 0;
  try {
    for (const file of batch) {
      const superseded = supersededAfter(header, file.window);
      for await (const line of readFile(clients, job, file)) {
        itemsRead++;
        if (!line.item || superseded.has(line.key) || router.route(line.item) !== 0) continue;
        const row = shaper.shape(line.item);
        const csv = assembler.line(row.signature.id, row.cells);
        if (!spool.write(rowKey(line.item, job.window), JSON.stringify(csv))) await spool.drained();
      }
    }
    await spool.close();
  } catch (error) {
    spool.destroy();
    throw error;
  }
  return { spool, itemsRead, counts: router.counts };
}

/** Phase three over one batch: its rows in order as one run object, and where each time range begins. */
export async function writeRunBatch(clients: NativeClients, job: NativeJob, batch: readonly FileRef[]): Promise<RunFacts> {
  const header = await getJson<NativeHeader>(clients.s3, job.bucket, `${job.work}/header.json`);
  const id = batchId(batch);
  const facts = await withScratch(async (dir) => {
    const { spool, itemsRead, counts } = await spoolBatch(clients, job, header, batch, dir);
    const upload = textUpload(clients, job, `${job.work}/runs/${id}.txt`);
    const offsets: number[] = [];
    try {
      for await (const row of spool.sorted()) {
        // Every range up to this row's begins here (empty ones included).
        while (
          offsets.length < header.ranges.length &&
          (offsets.length === 0 || (header.ranges[offsets.length - 1] as RangeRef).to <= row.key.t)
        ) {
          offsets.push(await upload.offset());
        }
        await upload.add(encodeRow(row.key, row.payload));
      }
      const size = await upload.finish();
      while (offsets.length <= header.ranges.length) offsets.push(size);
    } catch (error) {
      await upload.abort();
      throw error;
    }
    return { id, rows: spool.rows, itemsRead, counts, offsets };
  });
  await putJson(clients.s3, job, `${job.work}/runs/${id}.json`, facts);
  return facts;
}

/** Every batch's run facts, in batch order. */
export async function readRunFacts(s3: S3Client, job: NativeJob): Promise<RunFacts[]> {
  const keys = await listKeys(s3, job.bucket, `${job.work}/runs/`, (key) => key.endsWith(".json"));
  return Promise.all(keys.map((key) => getJson<RunFacts>(s3, job.bucket, key)));
}

/** The bytes [from, to) of an object, streamed (one ranged GET, sent when first read). */
async function* objectRange(s3: S3Client, bucket: string, key: string, from: number, to: number): AsyncGenerator<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${from}-${to - 1}` }));
  yield* out.Body as AsyncIterable<Uint8Array>;
}

/**
 * Slices of S3 objects merged at once. Each is a GET whose socket is given back only when its body
 * has been read to the end, and the SDK's agent opens at most 50 sockets per origin ("The SDK for
 * JavaScript uses a maxSockets value of 50 if you do not supply a value or an Agent object",
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html):
 * 50 open slices left the 51st GET waiting for a socket that never came (a merge of 70 batches
 * stalled, test/integration/export/native-merge-sockets.test.ts). 32 leaves room for the part's
 * upload (two parts in flight, sinks.ts) and the worker's other calls; more batches are merged in
 * groups of 32 through the worker's /tmp first (spool.ts, mergeSorted).
 */
export const S3_FAN_IN = 32;

/** Phase four for one time range: the batches' slices merged into the range's CSV part. */
async function mergeRange(clients: NativeClients, job: NativeJob, runs: readonly RunFacts[], range: RangeRef, dir: string) {
  const id = rangeId(range.index);
  const sources: RunSource[] = [];
  for (const run of runs) {
    const [from, to] = [run.offsets[range.index] as number, run.offsets[range.index + 1] as number];
    const key = `${job.work}/runs/${run.id}.txt`;
    if (to > from) sources.push({ open: () => new RunReader(objectRange(clients.s3, job.bucket, key, from, to), key) });
  }
  const upload = textUpload(clients, job, `${job.work}/parts/${id}.csv`);
  const ties = new TieOrder();
  let rows = 0;
  try {
    for await (const row of mergeSorted(sources, join(dir, id), S3_FAN_IN)) {
      await upload.add(ties.push(row.key, JSON.parse(row.payload) as string));
      rows++;
    }
    await upload.add(ties.end());
    const facts: PartFacts = { id, rows, bytes: await upload.finish() };
    await putJson(clients.s3, job, `${job.work}/parts/${id}.json`, facts);
    return facts;
  } catch (error) {
    await upload.abort();
    throw error;
  }
}

/** Phase four over a batch of time ranges (the map hands one each): one sorted part per range. */
export async function mergeRangeBatch(clients: NativeClients, job: NativeJob, ranges: readonly RangeRef[]): Promise<PartFacts[]> {
  const runs = await readRunFacts(clients.s3, job);
  return withScratch(async (dir) => {
    const parts: PartFacts[] = [];
    for (const range of ranges) parts.push(await mergeRange(clients, job, runs, range, dir));
    return parts;
  });
}

/** The parts' facts, in range order (the order the assembly concatenates them in). */
export async function readParts(s3: S3Client, job: NativeJob): Promise<PartFacts[]> {
  const keys = await listKeys(s3, job.bucket, `${job.work}/parts/`, (key) => key.endsWith(".json"));
  return Promise.all(keys.map((key) => getJson<PartFacts>(s3, job.bucket, key)));
}
