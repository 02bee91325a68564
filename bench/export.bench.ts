// npm run bench -- export
// 1. Formatting throughput: 1,000,000 rows of ~10 mixed attributes, from Scan result pages
//    (low-level AttributeValue maps, as the Scan API returns them) to CSV bytes, against
//    (a) naive: unmarshall → JSON for objects → csv-stringify, and (b) csv-stringify alone on
//    pre-built string rows. Medians of 3 runs after a warm-up; ratios from the same run.
// 2. Peak memory of the whole export path (scan pages → fecha → cells → disk spool → header →
//    CSV → sha256 → sink) for 100,000 vs 1,000,000 rows, each in a fresh Node process.
// 3. End to end against the emulator (moto): one day exported to S3 with 1 vs 4 segments
//    (5,000 rows by default; BENCH_EXPORT_E2E_ROWS=100000 for the issue's size, several minutes).
// BENCH_EXPORT_ROWS, BENCH_EXPORT_PARTS=format,memory,e2e and BENCH_EXPORT_CAPPED=1 adjust it.
import { spawnSync } from "node:child_process";
import { Writable } from "node:stream";
import { type AttributeValue, BatchWriteItemCommand, DescribeTableCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { stringify } from "csv-stringify/sync";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../src/core/aws/clients";
import { cellText } from "../src/core/export/cells";
import { headerColumns, RowAssembler, RowShaper } from "../src/core/export/columns";
import { exportDays } from "../src/core/export/export-days";
import { silentReporter } from "../src/core/reporter";
import { createStreamTable, stringKey } from "../test/support/fixtures";
import { measure, median, printRow, withEmulator } from "./support";

type Item = Record<string, AttributeValue>;
const ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 1_000_000);
/** moto serves ~2,000 items/s (single-threaded Python): 100k rows would take minutes, so 5k by default. */
const E2E_ROWS = Number(process.env.BENCH_EXPORT_E2E_ROWS ?? 5_000);
const PAGE = 1000;
/** Distinct pages cycled through; the memory runs keep fewer resident so they measure the export, not the pool. */
const POOL_PAGES = process.argv[2] === "--memory-child" ? 2 : 20;

/** A record with ~10 attributes of mixed types, some needing quotes, some 38-digit numbers. */
function makeItem(i: number): Item {
  const item: Item = {
    id: { S: `rec-${i.toString(36)}-${(i * 7919) % 100_003}` },
    fecha: {
      S: `2026-11-22T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:07.${String(i % 1000).padStart(3, "0")}Z`,
    },
    estado: { S: ["ok", "pendiente", "error", "enviado"][i % 4] as string },
    cliente: { S: i % 5 === 0 ? `Núñez, María "Mari" ${i}` : `Cliente ${i} Ltda` },
    importe: { N: i % 10 === 0 ? "12345678901234567890123456789012345678" : `${(i * 37) % 100000}.${i % 100}` },
    cantidad: { N: String(i % 977) },
    activo: { BOOL: i % 3 === 0 },
    tags: { SS: ["b", `t${i % 7}`, "a"] },
    detalle: { M: { lote: { N: String(i) }, origen: { S: "planta-2" }, pasos: { L: [{ S: "rx" }, { N: "0.000001" }, { BOOL: true }] } } },
    nota: { S: i % 11 === 0 ? "línea 1\nlínea 2, con coma" : "sin novedad" },
  };
  if (i % 9 === 0) item.extra = { NULL: true };
  return item;
}

const pool: Item[][] = Array.from({ length: POOL_PAGES }, (_, p) => Array.from({ length: PAGE }, (_, i) => makeItem(p * PAGE + i)));
const poolRows = pool.flat();
const columns = headerColumns(new Set(poolRows.flatMap((item) => Object.keys(item))));

/** Bytes out, counted (and the CSV text turned into bytes, as a sink would get it). */
let sinkBytes = 0;
const toBytes = (text: string) => {
  sinkBytes += Buffer.byteLength(Buffer.from(text, "utf8"));
};

function ours(rows: number): void {
  const shaper = new RowShaper();
  for (const item of poolRows) shaper.signatureOf(Object.keys(item));
  const assembler = new RowAssembler(columns, shaper.signatures);
  let pending = assembler.header;
  for (let done = 0; done < rows; done += PAGE) {
    for (const item of pool[(done / PAGE) % POOL_PAGES] as Item[]) {
      const row = shaper.shape(item);
      pending += assembler.line(row.signature.id, row.cells);
    }
    if (pending.length > 256 * 1024) {
      toBytes(pending);
      pending = "";
    }
  }
  toBytes(pending);
}

const jsonReplacer = (_k: string, v: unknown) =>
  v instanceof Set ? [...v].sort() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : typeof v === "bigint" ? v.toString() : v;

function naive(rows: number): void {
  let first = true;
  for (let done = 0; done < rows; done += PAGE) {
    const records = (pool[(done / PAGE) % POOL_PAGES] as Item[]).map((item) => {
      const plain = unmarshall(item, { wrapNumbers: true }) as Record<string, unknown>;
      const record: Record<string, string> = {};
      for (const [k, v] of Object.entries(plain)) {
        record[k] =
          v === null
            ? ""
            : typeof v === "object" && !("value" in (v as object))
              ? JSON.stringify(v, jsonReplacer)
              : String((v as { value?: string }).value ?? v);
      }
      return record;
    });
    toBytes(stringify(records, { header: first, columns, record_delimiter: "windows" }));
    first = false;
  }
}

const prebuilt: string[][][] = pool.map((page) =>
  page.map((item) => columns.map((c) => (item[c] ? cellText(item[c] as AttributeValue) : ""))),
);
function csvStringifyAlone(rows: number): void {
  let first = true;
  for (let done = 0; done < rows; done += PAGE) {
    toBytes(
      stringify(
        prebuilt[(done / PAGE) % POOL_PAGES] as string[][],
        first ? { header: true, columns, record_delimiter: "windows" } : { record_delimiter: "windows" },
      ),
    );
    first = false;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)}MB`;

async function throughput(): Promise<void> {
  const pipelines = [
    { name: "ours: AttributeValue pages → CSV bytes", fn: ours, runs: 3 },
    { name: "(a) naive: unmarshall → JSON → csv-stringify", fn: naive, runs: 1 },
    { name: "(b) csv-stringify alone, pre-built string rows", fn: csvStringifyAlone, runs: 3 },
  ];
  console.log(
    `formatting ${ROWS.toLocaleString("en-US")} rows × ${columns.length} columns in process; runs interleaved after a 100k warm-up; ` +
      "3 runs each, the naive baseline 1 run (it is the slow one; the budget is ~2 min)",
  );
  for (const p of pipelines) p.fn(100_000);
  const times = new Map<string, number[]>(pipelines.map((p) => [p.name, []]));
  const bytes = new Map<string, number>();
  for (let run = 0; run < 3; run++) {
    for (const p of pipelines) {
      if (run >= p.runs) continue;
      sinkBytes = 0;
      const [ms] = await measure(() => p.fn(ROWS), 1, 0);
      times.get(p.name)?.push(ms ?? 0);
      bytes.set(p.name, sinkBytes);
    }
  }
  const rate = new Map<string, number>();
  for (const p of pipelines) {
    const list = times.get(p.name) ?? [];
    const ms = median(list);
    rate.set(p.name, ROWS / (ms / 1000));
    printRow(p.name, {
      "rows/s": Math.round(rate.get(p.name) ?? 0).toLocaleString("en-US"),
      median: `${Math.round(ms)}ms`,
      runs: list.map((t) => Math.round(t)).join("/"),
      csv: mb(bytes.get(p.name) ?? 0),
    });
  }
  const [o, a, b] = pipelines.map((p) => rate.get(p.name) ?? 0) as [number, number, number];
  printRow("ratio ours / naive (target ≥ 2.5)", { ratio: (o / a).toFixed(2) });
  printRow("ratio ours / csv-stringify alone (target ≥ 0.75)", { ratio: (o / b).toFixed(2) });
  const usage = process.memoryUsage();
  printRow("this process (pool of 20k records resident)", {
    rss: mb(usage.rss),
    heap: mb(usage.heapUsed),
    maxRSS: mb(process.resourceUsage().maxRSS * 1024),
  });
}

/** The export path without the network: the real exportDays over a client that serves pages. */
async function memoryChild(rows: number): Promise<void> {
  const pages = Math.ceil(rows / PAGE);
  const dynamodb = {
    send: async (command: unknown) => {
      if (command instanceof DescribeTableCommand) return {};
      if (!(command instanceof ScanCommand)) throw new Error("unexpected command");
      const at = Number(command.input.ExclusiveStartKey?.id?.S ?? 0);
      const page = pool[at % POOL_PAGES] as Item[];
      return { Items: page, ScannedCount: page.length, LastEvaluatedKey: at + 1 < pages ? { id: { S: String(at + 1) } } : undefined };
    },
  };
  let bytes = 0;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  const start = performance.now();
  const [manifest] = await exportDays(
    { dynamodb: dynamodb as never },
    { table: "BENCH", days: ["2026-11-22"], timeZone: "UTC", segments: 1, target: { kind: "stream", stream: sink } },
    silentReporter,
    new AbortController().signal,
  );
  clearInterval(sampler);
  const ms = performance.now() - start;
  console.log(
    JSON.stringify({
      rows: manifest?.rows,
      bytes,
      ms,
      maxRSS: process.resourceUsage().maxRSS * 1024,
      peakHeap: Math.max(peakHeap, process.memoryUsage().heapUsed),
    }),
  );
}

function memory(): void {
  console.log("\nwhole export path (pages → spool on disk → CSV → sha256 → sink), each size in a fresh process");
  const peaks: number[] = [];
  const runs: [number, string[]][] = [
    [1_000, []],
    [100_000, []],
    [ROWS, []],
  ];
  // Optional: the same 1M run with the heap capped, which shows how much is retained (flat) and
  // how much of the default peak is the garbage collector's slack.
  if (process.env.BENCH_EXPORT_CAPPED) runs.push([ROWS, ["--max-old-space-size=48", "--max-semi-space-size=4"]]);
  for (const [rows, flags] of runs) {
    const child = spawnSync(process.execPath, [...flags, process.argv[1] as string, "--memory-child", String(rows)], {
      encoding: "utf8",
      env: process.env,
    });
    if (child.status !== 0) throw new Error(child.stderr);
    const r = JSON.parse(child.stdout.trim().split("\n").pop() as string);
    if (flags.length === 0) peaks.push(r.maxRSS);
    printRow(
      `${rows.toLocaleString("en-US")} rows${flags.length ? ` (${flags.join(" ")})` : rows === 1_000 ? " (baseline: modules loaded)" : ""}`,
      {
        "rows/s": Math.round(r.rows / (r.ms / 1000)).toLocaleString("en-US"),
        time: `${(r.ms / 1000).toFixed(1)}s`,
        csv: mb(r.bytes),
        "peak RSS": mb(r.maxRSS),
        "peak heap": mb(r.peakHeap),
      },
    );
  }
  printRow("peak RSS 1M / 100k (target flat; < 150MB at 1M)", { ratio: ((peaks[2] ?? 0) / (peaks[1] ?? 1)).toFixed(2) });
}

async function endToEnd(): Promise<void> {
  console.log(`\nend to end against the emulator (moto): ${E2E_ROWS.toLocaleString("en-US")} rows, one day to S3 with SSE-KMS`);
  await withEmulator(async (emulator) => {
    const clients = createAwsClients({ region: "us-east-1", endpointUrl: emulator.endpoint, credentials: EMULATOR_CREDENTIALS });
    const table = "bench-TRAZABILIDAD";
    // TRAZABILIDAD as the stack makes it (key `id`, stream on).
    await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("id") });
    await clients.s3.send(new CreateBucketCommand({ Bucket: "bench-export" }));
    const loadStart = performance.now();
    const batches = Array.from({ length: Math.ceil(E2E_ROWS / 25) }, (_, b) => b);
    const writer = async () => {
      for (let b = batches.shift(); b !== undefined; b = batches.shift()) {
        const items = Array.from({ length: Math.min(25, E2E_ROWS - b * 25) }, (_, i) => ({ PutRequest: { Item: makeItem(b * 25 + i) } }));
        await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
      }
    };
    await Promise.all(Array.from({ length: 4 }, writer));
    console.log(`(loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)}s, not timed below)`);
    const times: Record<number, number> = {};
    for (const segments of [1, 4]) {
      const start = performance.now();
      const [m] = await exportDays(
        clients,
        {
          table,
          days: ["2026-11-22"],
          timeZone: "UTC",
          segments,
          target: { kind: "s3", bucket: "bench-export", kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/bench" },
        },
        silentReporter,
        new AbortController().signal,
      );
      times[segments] = performance.now() - start;
      printRow(`${segments} segment(s)`, {
        rows: m?.rows ?? 0,
        time: `${((times[segments] ?? 0) / 1000).toFixed(1)}s`,
        "rows/s": Math.round((m?.rows ?? 0) / ((times[segments] ?? 1) / 1000)).toLocaleString("en-US"),
        csv: mb(m?.bytes ?? 0),
      });
    }
    printRow("speed-up 4 vs 1 segments", { ratio: ((times[1] ?? 0) / (times[4] ?? 1)).toFixed(2) });
    clients.destroy();
  });
}

if (process.argv[2] === "--memory-child") {
  await memoryChild(Number(process.argv[3]));
} else {
  // BENCH_EXPORT_PARTS=format,memory,e2e (default: all three).
  const parts = (process.env.BENCH_EXPORT_PARTS ?? "format,memory,e2e").split(",");
  if (parts.includes("format")) await throughput();
  if (parts.includes("memory")) memory();
  if (parts.includes("e2e") && E2E_ROWS > 0) await endToEnd();
}
