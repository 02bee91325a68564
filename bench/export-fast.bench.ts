// npm run bench -- export-fast
// The export on a FAST backend: dynalite (npm; an implementation of DynamoDB's API over an
// in-memory LevelDB, started in this process on a loopback port) answers a Scan page in a few ms,
// where moto takes hundreds; what moto's slowness hid shows here: how much is in flight (pages
// parsed but not yet spooled) and what the row order costs once reading is no longer the bottleneck.
// A 7-day TRAZABILIDAD with dia-index (BENCH_FAST_ROWS_PER_DAY rows a day, default 30,000: 210,000
// items), bench/export-data.ts records, the middle day exported through the built CLI as the
// operator runs it, each run a process of its own (peak RSS and CPU from process.resourceUsage(),
// bench/export-process.ts), medians of BENCH_FAST_RUNS (default 3):
// - scan, 4 segments (the default), 1 segment, and a 4-segment dry run, to a local file;
// - query on the day index. dynalite's paged GSI Query drops items (issue 21), so that row's
//   count is dynalite's, not the day's: it is there for memory and time only.
// With BENCH_EXPORT_CLI=<path>/bin/trace another build (an earlier commit's) runs beside the
// current one, case by case, and the ratios are printed (other/current). The scan's sha256 of
// every run of the current build must be one (the row order): else the bench fails.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { EMULATOR_CREDENTIALS } from "../src/core/aws/clients";
import { daysBetween } from "../src/core/export/day-window";
import { dayIndexedTrazabilidad } from "../test/support/fixtures";
import { type Item, load, makeItem } from "./export-data";
import { awsEnv, measureNode } from "./export-process";
import { median, root } from "./support";

const ROWS_PER_DAY = Number(process.env.BENCH_FAST_ROWS_PER_DAY ?? 30_000);
const RUNS = Number(process.env.BENCH_FAST_RUNS ?? 3);
const CASES = (process.env.BENCH_FAST_CASES ?? "scan4,scan1,dry4,query").split(",");
const ZONE = "UTC";
const WEEK = daysBetween("2026-11-19", "2026-11-25");
const DAY = "2026-11-22";
const TABLE = "bench-fast-TRAZABILIDAD";

const current = join(root, "bin", "trace");
const other = process.env.BENCH_EXPORT_CLI;
const dir = mkdtempSync(join(tmpdir(), "trace-bench-fast-"));
const config = join(dir, "trace.config.yaml");
writeFileSync(config, `environments:\n  bench:\n    stage: bench\n    region: us-east-1\n    timeZone: ${ZONE}\n    retentionDays: 365\n`);

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)}MB`;

/** makeItem's record `i` of day `d` of the week (fecha on that day in UTC), with dia that day. */
function weekItem(i: number): Item {
  const d = Math.floor(i / ROWS_PER_DAY);
  const offset = Math.round((Date.parse(DAY) - Date.parse(WEEK[d] as string)) / 86_400_000);
  return { ...makeItem(i, offset), dia: { S: WEEK[d] as string } };
}

const ARGS: Record<string, string[]> = {
  scan4: ["--segments", "4", "--engine", "scan", "--out"],
  scan1: ["--segments", "1", "--engine", "scan", "--out"],
  dry4: ["--segments", "4", "--engine", "scan", "--dry-run"],
  query: ["--engine", "query", "--out"],
};

interface Run {
  ms: number;
  cpuMicros: number;
  maxRSS: number;
  rows: number;
  sha256: string | null;
}

async function runCase(cli: string, name: string, endpoint: string): Promise<Run[]> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const flags = [...(ARGS[name] as string[])];
    if (flags[flags.length - 1] === "--out") flags.push(join(dir, `${name}.csv`));
    const args = [cli, "--config", config, "--json", "export", "--date", DAY, "--table", TABLE, ...flags];
    const r = await measureNode(args, awsEnv(endpoint));
    const manifest = JSON.parse(r.stdout) as { rows: number; sha256: string | null };
    runs.push({ ms: r.ms, cpuMicros: r.cpuMicros, maxRSS: r.maxRSS, rows: manifest.rows, sha256: manifest.sha256 });
  }
  return runs;
}

const summary = (runs: Run[]) => ({
  ms: median(runs.map((r) => r.ms)),
  cpu: median(runs.map((r) => r.cpuMicros)),
  rss: median(runs.map((r) => r.maxRSS)),
  rssAll: runs.map((r) => mb(r.maxRSS)).join("/"),
});

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const dynamodb = new DynamoDBClient({ region: "us-east-1", endpoint, credentials: EMULATOR_CREDENTIALS });
let failed = false;
try {
  await dynamodb.send(new CreateTableCommand({ TableName: TABLE, BillingMode: "PAY_PER_REQUEST", ...dayIndexedTrazabilidad() }));
  const rate = await load(dynamodb, TABLE, WEEK.length * ROWS_PER_DAY, weekItem, 4);
  console.log(`dynalite: ${n(WEEK.length * ROWS_PER_DAY)} items loaded at ${n(rate)} items/s; exporting ${DAY} (${n(ROWS_PER_DAY)} rows)`);
  if (other) console.log(`other build: ${other}`);
  console.log(
    `${"case".padEnd(28)} ${"time".padStart(7)} ${"cpu".padStart(7)} ${"peak RSS".padStart(9)}  runs' RSS          rows${other ? "      other: time, cpu, peak RSS (runs)      other/current: time, cpu, RSS" : ""}`,
  );
  for (const name of CASES) {
    const mine = await runCase(current, name, endpoint);
    const a = summary(mine);
    let line = `${name.padEnd(28)} ${`${(a.ms / 1000).toFixed(1)}s`.padStart(7)} ${`${(a.cpu / 1e6).toFixed(1)}s`.padStart(7)} ${mb(a.rss).padStart(9)}  ${a.rssAll.padEnd(18)} ${n(mine[0]?.rows ?? 0).padStart(6)}`;
    if (other) {
      const b = summary(await runCase(other, name, endpoint));
      line += `      ${(b.ms / 1000).toFixed(1)}s, ${(b.cpu / 1e6).toFixed(1)}s, ${mb(b.rss)} (${b.rssAll})      ${(b.ms / a.ms).toFixed(2)}, ${(b.cpu / a.cpu).toFixed(2)}, ${(b.rss / a.rss).toFixed(2)}`;
    }
    console.log(line);
    const hashes = new Set(mine.map((r) => r.sha256));
    if (name.startsWith("scan") && hashes.size !== 1) {
      console.log(`  ${name}: ${hashes.size} different sha256 over ${RUNS} runs of the current build: the row order is not one`);
      failed = true;
    }
  }
} finally {
  dynamodb.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
}
if (failed) process.exit(1);
