// npm run bench -- export
// The shipped path, measured as the operator runs it: `trace export --date D --out <file>` in a
// process of its own (real Scan JSON through the SDK, fecha, cells, disk spool, header, CSV,
// sha256, file sink): wall time, CPU (user+system) and the process's peak RSS, medians of 3 runs
// (1 at 1M). Side by side, the naive baseline measured in the same run: one Scan, unmarshall,
// csv-stringify (bench/export-naive.ts).
// Sizes: 10k rows straight from moto; 100k and 1M from moto's recorded answers (bench/scan-replay.ts,
// same bytes, same SDK), because moto's Scan restarts from its first item for every page: its
// cost grows with the square of the table (the output prints the measured rates).
// Then CPU per scanned item, before and after: the SDK's log filter (default logger vs ours), and
// the Scan filter on fecha (a 7-day table of epoch-number fechas, pages unfiltered vs filtered).
// BENCH_EXPORT_SIZES=10000,100000,1000000, BENCH_EXPORT_MOTO_ROWS=10000 (rows also run on moto
// itself), BENCH_EXPORT_PARTS=e2e,cpu, and BENCH_EXPORT_CLI=<path>/bin/trace to measure another
// build (an earlier commit's, for a before/after) with BENCH_EXPORT_PAGE_ITEMS=<its Scan Limit>
// (1000000 for none) so the recorded pages are the ones it would get.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createAwsClients, createDynamoDbClient, EMULATOR_CREDENTIALS } from "../src/core/aws/clients";
import { dayWindow } from "../src/core/export/day-window";
import { fechaScanFilter } from "../src/core/export/fecha-filter";
import { parallelScan, SCAN_PAGE_ITEMS, type ScanFilter } from "../src/core/export/scan";
import { createStreamTable, stringKey } from "../test/support/fixtures";
import { DAY, load, makeItem } from "./export-data";
import { naiveExport } from "./export-naive";
import { awsEnv, measureNode, type ProcessFigures } from "./export-process";
import { emptyRecording, type Recording, replayedItems, startRecorder, startReplayer } from "./scan-replay";
import { median, printRow, root, withEmulator } from "./support";

const SIZES = (process.env.BENCH_EXPORT_SIZES ?? "10000,100000,1000000").split(",").map(Number);
const MOTO_ROWS = Number(process.env.BENCH_EXPORT_MOTO_ROWS ?? 10_000);
/** Rows recorded from moto and replayed to reach the larger sizes. */
const BASE_ROWS = 10_000;
const SEGMENTS = 4;
const WEEK_DAY_ROWS = 3_000;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)}MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const n = (x: number) => Math.round(x).toLocaleString("en-US");
const bundle = process.argv[1] as string;
const cli = process.env.BENCH_EXPORT_CLI ?? join(root, "bin", "trace");
const out = join(mkdtempSync(join(tmpdir(), "trace-bench-export-")), "day.csv");

type Figures = { ms: number; cpuMicros: number; maxRSS: number; scanned: number };
const medians = (runs: Figures[]): Figures => ({
  ms: median(runs.map((r) => r.ms)),
  cpuMicros: median(runs.map((r) => r.cpuMicros)),
  maxRSS: median(runs.map((r) => r.maxRSS)),
  scanned: runs[0]?.scanned ?? 0,
});

/** The shipped CLI against `endpoint`, `runs` times. */
async function ours(endpoint: string, table: string, runs: number): Promise<Figures> {
  const args = [cli, "--json", "export", "--date", DAY, "--table", table, "--out", out, "--segments", String(SEGMENTS)];
  const all: Figures[] = [];
  for (let i = 0; i < runs; i++) {
    const r: ProcessFigures = await measureNode(args, awsEnv(endpoint));
    all.push({ ...r, scanned: (JSON.parse(r.stdout) as { scannedCount: number }).scannedCount });
  }
  return medians(all);
}

async function naive(endpoint: string, table: string, runs: number): Promise<Figures> {
  const all: Figures[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await measureNode([bundle, "--naive", endpoint, table, out], awsEnv(endpoint));
    all.push({ ...r, scanned: (JSON.parse(r.stdout) as { scanned: number }).scanned });
  }
  return medians(all);
}

/** Scans `table` through a recording proxy the way the export does (or the naive way: one segment, 1 MB pages). */
async function record(moto: string, table: string, how: { segments: number; pageItems?: number; filter?: ScanFilter }): Promise<Recording> {
  const recording = emptyRecording();
  const recorder = await startRecorder(moto, recording);
  const dynamodb = createDynamoDbClient({ region: "us-east-1", endpointUrl: recorder.endpoint, credentials: EMULATOR_CREDENTIALS });
  await dynamodb.send(new DescribeTableCommand({ TableName: table }));
  await parallelScan(dynamodb, { table, ...how, signal: new AbortController().signal, onPage: () => {} });
  dynamodb.destroy();
  await recorder.close();
  return recording;
}

async function replaying<T>(recording: Recording, repeat: number, run: (endpoint: string) => Promise<T>): Promise<T> {
  const replayer = await startReplayer(recording, repeat);
  try {
    return await run(replayer.endpoint);
  } finally {
    await replayer.close();
  }
}

/** One line of the side-by-side table: ours, then the naive baseline and the ratios when given. */
function row(label: string, a: Figures, b?: Figures): void {
  const perItem = (f: Figures) => `${(f.cpuMicros / Math.max(1, f.scanned)).toFixed(1)}µs`;
  const figures = (f: Figures) =>
    `${s(f.ms).padStart(7)} ${s(f.cpuMicros / 1000).padStart(7)} ${perItem(f).padStart(8)} ${mb(f.maxRSS).padStart(7)}`;
  const ratios = b ? `${(b.ms / a.ms).toFixed(2).padStart(6)} ${(b.cpuMicros / a.cpuMicros).toFixed(2).padStart(6)}` : "";
  console.log(`${label.padEnd(40)} ${figures(a)}   ${b ? figures(b) : " ".repeat(32)}   ${ratios}`);
}

const HEADER = `${"".padEnd(40)} ${"ours: time".padStart(7)} ${"cpu".padStart(7)} ${"cpu/item".padStart(8)} ${"peak RSS".padStart(7)}   ${"naive: time".padStart(7)} ${"cpu".padStart(7)} ${"cpu/item".padStart(8)} ${"peak RSS".padStart(7)}   naive/ours: time, cpu`;

async function endToEnd(moto: string, clients: ReturnType<typeof createAwsClients>): Promise<void> {
  console.log(`\nthe shipped CLI vs the naive baseline (${SEGMENTS} segments; medians of 3 runs, 1 at 1M)`);
  await createStreamTable(clients.dynamodb, { TableName: "bench-empty", ...stringKey("id") });
  console.log(HEADER);
  const empty = await ours(moto, "bench-empty", 3);
  printRow("baseline: an empty day (the CLI and SDK loaded)", { "peak RSS": mb(empty.maxRSS), time: s(empty.ms) });

  const table = "bench-day";
  await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("id") });
  const loadSize = Math.max(BASE_ROWS, MOTO_ROWS);
  const rate = await load(clients.dynamodb, table, loadSize, (i) => makeItem(i));
  console.log(`(moto loads ${n(rate)} items/s: BatchWriteItem, 25 per request, 8 in flight)`);
  if (MOTO_ROWS >= BASE_ROWS) {
    const direct = await ours(moto, table, MOTO_ROWS > BASE_ROWS ? 1 : 3);
    const baseline = await naive(moto, table, MOTO_ROWS > BASE_ROWS ? 1 : 3);
    row(`${n(MOTO_ROWS)} rows, moto`, direct, baseline);
    console.log(
      `(moto served the CLI ${n(MOTO_ROWS / (direct.ms / 1000))} items/s, the naive scan ${n(MOTO_ROWS / (baseline.ms / 1000))} items/s)`,
    );
  }
  const base = MOTO_ROWS > BASE_ROWS ? "bench-day-base" : table;
  if (base !== table) {
    await createStreamTable(clients.dynamodb, { TableName: base, ...stringKey("id") });
    await load(clients.dynamodb, base, BASE_ROWS, (i) => makeItem(i));
  }
  const filter = fechaScanFilter([dayWindow(DAY, "UTC")]);
  const pageItems = Number(process.env.BENCH_EXPORT_PAGE_ITEMS ?? SCAN_PAGE_ITEMS);
  const shipped = await record(moto, base, { segments: SEGMENTS, pageItems, filter });
  const onePage = await record(moto, base, { segments: 1, pageItems: 1_000_000 });
  const bigPages = await record(moto, base, { segments: SEGMENTS, pageItems: 1_000_000, filter });
  const peaks = new Map<number, number>();
  for (const rows of SIZES) {
    const repeat = Math.max(1, Math.round(rows / BASE_ROWS));
    const runs = rows >= 1_000_000 ? 1 : 3;
    const a = await replaying(shipped, repeat, (e) => ours(e, base, runs));
    const b = await replaying(onePage, repeat, (e) => naive(e, base, runs));
    peaks.set(rows, a.maxRSS);
    row(`${n(replayedItems(shipped, repeat))} rows, replayed`, a, b);
  }
  const big = Math.max(...SIZES.filter((x) => x < 1_000_000), BASE_ROWS);
  const pages1MB = await replaying(bigPages, Math.round(big / BASE_ROWS), (e) => ours(e, base, 3));
  row(`${n(big)} rows, DynamoDB's 1 MB pages (no Limit)`, pages1MB);
  const sorted = [...peaks.keys()].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) {
    const [lo, hi] = [sorted[i - 1] as number, sorted[i] as number];
    printRow(`peak RSS ${n(hi)} / ${n(lo)} rows (target flat, < 150MB)`, {
      ratio: ((peaks.get(hi) ?? 0) / (peaks.get(lo) ?? 1)).toFixed(2),
      "above the empty day": mb((peaks.get(hi) ?? 0) - empty.maxRSS),
    });
  }
}

/** CPU per scanned item of the scan alone (the shipped parallelScan), with the SDK's default logger or ours. */
async function scanCpu(endpoint: string, table: string, logger: string): Promise<void> {
  const settings = { region: "us-east-1", endpointUrl: endpoint, credentials: EMULATOR_CREDENTIALS };
  const dynamodb =
    logger === "default"
      ? new DynamoDBClient({ region: "us-east-1", endpoint, credentials: EMULATOR_CREDENTIALS })
      : createDynamoDbClient(settings);
  let scanned = 0;
  const before = process.cpuUsage();
  await parallelScan(dynamodb, {
    table,
    segments: SEGMENTS,
    signal: new AbortController().signal,
    onPage: (_items, count) => {
      scanned += count;
    },
  });
  const cpu = process.cpuUsage(before);
  console.log(JSON.stringify({ scanned, cpuMicros: cpu.user + cpu.system }));
}

async function cpuPerItem(moto: string, clients: ReturnType<typeof createAwsClients>): Promise<void> {
  const table = "bench-week";
  await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("id") });
  await load(clients.dynamodb, table, 7 * WEEK_DAY_ROWS, (i) => makeItem(i, i % 7, "epoch"));
  const repeat = 10;
  console.log(
    `\nCPU per scanned item, before → after: a week of ${n(WEEK_DAY_ROWS)} rows a day (fecha as epoch seconds), one day exported, replayed ×${repeat}`,
  );
  const all = await record(moto, table, { segments: SEGMENTS });
  const filtered = await record(moto, table, { segments: SEGMENTS, filter: fechaScanFilter([dayWindow(DAY, "UTC")]) });
  const scanOnly = async (logger: string) => {
    const runs: Figures[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await replaying(all, repeat, (e) => measureNode([bundle, "--scan-cpu", e, table, logger], awsEnv(e)));
      const inner = JSON.parse(r.stdout) as { scanned: number; cpuMicros: number };
      runs.push({ ...r, ...inner });
    }
    return medians(runs);
  };
  const perItem = (f: Figures) => f.cpuMicros / f.scanned;
  const [defaultLogger, quiet] = [await scanOnly("default"), await scanOnly("quiet")];
  printRow("scan alone: SDK default logger → ours (no info)", {
    before: `${perItem(defaultLogger).toFixed(2)}µs`,
    after: `${perItem(quiet).toFixed(2)}µs`,
    ratio: (perItem(quiet) / perItem(defaultLogger)).toFixed(2),
  });
  const unfilteredRun = await replaying(all, repeat, (e) => ours(e, table, 3));
  const filteredRun = await replaying(filtered, repeat, (e) => ours(e, table, 3));
  printRow("whole export: pages unfiltered → filtered on fecha", {
    before: `${perItem(unfilteredRun).toFixed(2)}µs`,
    after: `${perItem(filteredRun).toFixed(2)}µs`,
    ratio: (perItem(filteredRun) / perItem(unfilteredRun)).toFixed(2),
    "items sent": `${n(replayedItems(all, repeat))} → ${n(replayedItems(filtered, repeat))}`,
  });
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "--naive") {
  await naiveExport(args[0] as string, args[1] as string, args[2] as string);
} else if (mode === "--scan-cpu") {
  await scanCpu(args[0] as string, args[1] as string, args[2] as string);
} else {
  await withEmulator(async (emulator) => {
    const clients = createAwsClients({ region: "us-east-1", endpointUrl: emulator.endpoint, credentials: EMULATOR_CREDENTIALS });
    const parts = (process.env.BENCH_EXPORT_PARTS ?? "e2e,cpu").split(",");
    if (cli !== join(root, "bin", "trace")) console.log(`(measuring the CLI at ${cli})`);
    if (parts.includes("e2e")) await endToEnd(emulator.endpoint, clients);
    if (parts.includes("cpu")) await cpuPerItem(emulator.endpoint, clients);
    clients.destroy();
  });
  rmSync(dirname(out), { recursive: true, force: true });
}
