// npm run bench -- export-paths
// The export's three read paths side by side on the SAME 7-day table, each run as the operator runs
// it: `trace --json export --date D --engine scan|query|native --table T --bucket B --kms-key K
// --segments 1` (the built bin/trace) in a process of its own, against the bench's own moto.
// - scan: the whole table (the parallel scan, here with one segment: see below);
// - query: the dia-index GSI, only the day's partition (and the one of unreadable fecha), once the
//   day stamper has given every record its dia (`trace index run`, timed and printed too);
// - native: ExportTableToPointInTime to S3, then the export's data files formatted in two phases,
//   in process (the CLI's own runNativeDay, four batches at a time; its status polls included, as
//   the operator waits them). Its peak RSS is the whole process's, so an upper bound per worker.
// For each path: rows exported, wall time (median of 3 runs), rows exported per second, items read
// per item exported (the manifest's itemsRead / rows, and its readAmplification) and the process's
// peak RSS (median of the 3 runs' maxRSS, from bench/export-process.ts). As a check that the three
// measure the same thing, the CSVs' sha256 from the manifests must be equal: else a warning and exit 1.
// --segments 1 for every path: with 4, the scan's CSV (rows in the order read) had the same bytes
// but a different sha256 on each run, moto interleaving the segments' pages differently; query and
// native agreed. One segment reads in moto's insertion order, which all three paths then share.
// The table is TRAZABILIDAD as the stack makes it with DayIndex (key id, GSI dia-index on dia, ALL),
// point-in-time recovery on (native refuses a table without it); the bucket is versioned; moto does
// not check the KMS key. 7 days × BENCH_PATHS_ROWS_PER_DAY rows (default 3000) of bench/export-data.ts
// records, with fecha an ISO string with offset inside its Madrid day and no dia (as the brief's
// writers write them: the stamper sets it); time zone
// Europe/Madrid from a config file. The exported day is the middle one (both neighbours are loaded).
// Emulator caveats: moto's export is always a FULL export of the whole table (no incremental one),
// so native reads all 7 days; moto's Scan and Query cost grows with the table (each page restarts
// from its first item), and moto is one Python process. The absolute times are the emulator's;
// the ratios between paths and the items read per item exported are what carry over to AWS.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UpdateContinuousBackupsCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../src/core/aws/clients";
import { daysBetween } from "../src/core/export/day-window";
import { createKmsKey, createStreamTable, dayIndexedTrazabilidad } from "../test/support/fixtures";
import { type Item, load, makeItem } from "./export-data";
import { awsEnv, measureNode } from "./export-process";
import { median, printRow, root, withEmulator } from "./support";

const ROWS_PER_DAY = Number(process.env.BENCH_PATHS_ROWS_PER_DAY ?? 3_000);
/** 1, not 4: with 4 segments moto interleaves the segments' pages differently on each run (see the header). */
const SEGMENTS = 1;
const RUNS = 3;
const ZONE = "Europe/Madrid";
const WEEK = daysBetween("2026-11-17", "2026-11-23");
const DAY = "2026-11-20";
/** BENCH_PATHS_ENGINES=native (say) measures some paths only; the ratios and the CSV check need all three. */
const PATHS = (process.env.BENCH_PATHS_ENGINES ?? "scan,query,native").split(",");
/** A key made in the bench's moto: `export --kms-key` checks it with DescribeKey before reading. */
let KEY_ARN = "";

const cli = join(root, "bin", "trace");
const n = (x: number) => Math.round(x).toLocaleString("en-US");
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)}MB`;
const pad = (x: number) => String(x).padStart(2, "0");

/** Record `k` of day `d` of the week: unique id, fecha at a local time on that day (+01:00 in November), no dia. */
function weekItem(d: number, k: number): Item {
  const day = WEEK[d] as string;
  const i = d * ROWS_PER_DAY + k;
  const second = (k * 7_919) % 86_400;
  const local = `${pad(Math.floor(second / 3600))}:${pad(Math.floor(second / 60) % 60)}:${pad(second % 60)}`;
  return { ...makeItem(i), fecha: { S: `${day}T${local}+01:00` } };
}

interface Manifest {
  rows: number;
  itemsRead: number;
  readAmplification: number | null;
  readPath: string;
  bytes: number;
  sha256: string;
}
interface PathFigures {
  manifest: Manifest;
  ms: number;
  maxRSS: number;
}

async function measurePath(engine: string, endpoint: string, config: string, table: string, bucket: string): Promise<PathFigures> {
  const args = [cli, "--config", config, "--json", "export", "--date", DAY, "--engine", engine];
  args.push("--table", table, "--bucket", bucket, "--kms-key", KEY_ARN, "--segments", String(SEGMENTS));
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await measureNode(args, awsEnv(endpoint));
    runs.push({ ...run, manifest: JSON.parse(run.stdout) as Manifest });
  }
  const shas = new Set(runs.map((r) => r.manifest.sha256));
  if (shas.size > 1) console.log(`WARNING: ${engine} gave ${shas.size} different CSVs in ${RUNS} runs`);
  return {
    manifest: runs[0]?.manifest as Manifest,
    ms: median(runs.map((r) => r.ms)),
    maxRSS: median(runs.map((r) => r.maxRSS)),
  };
}

await withEmulator(async (emulator) => {
  const clients = createAwsClients({ region: "us-east-1", endpointUrl: emulator.endpoint, credentials: EMULATOR_CREDENTIALS });
  const dir = mkdtempSync(join(tmpdir(), "trace-bench-paths-"));
  const config = join(dir, "trace.config.yaml");
  writeFileSync(
    config,
    `environments:\n  bench:\n    stage: bench\n    region: us-east-1\n    timeZone: ${ZONE}\n    exportSegments: ${SEGMENTS}\n`,
  );
  try {
    const table = "TRAZABILIDAD-bench";
    await createStreamTable(clients.dynamodb, { TableName: table, ...dayIndexedTrazabilidad() });
    await clients.dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );
    const bucket = "trace-bench-paths";
    KEY_ARN = await createKmsKey(clients);
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    const total = WEEK.length * ROWS_PER_DAY;
    const rate = await load(clients.dynamodb, table, total, (i) => weekItem(Math.floor(i / ROWS_PER_DAY), i % ROWS_PER_DAY));
    console.log(
      `\n${WEEK.length} days × ${n(ROWS_PER_DAY)} rows = ${n(total)} items (moto loaded ${n(rate)} items/s); exporting ${DAY} (${ZONE}), ` +
        `--segments ${SEGMENTS}, medians of ${RUNS} runs`,
    );
    // The stamper, as the schedule runs it every minute: here once over the whole week's stream.
    const stamp = await measureNode(
      [cli, "--config", config, "--json", "index", "run", "--table", table, "--bucket", bucket, "--kms-key", KEY_ARN],
      awsEnv(emulator.endpoint),
    );
    const stamped = JSON.parse(stamp.stdout) as { stamped: number; read: number };
    printRow("stamper (trace index run)", {
      "records read": n(stamped.read),
      stamped: n(stamped.stamped),
      time: `${(stamp.ms / 1000).toFixed(2)}s`,
      "stamped/s": n(stamped.stamped / (stamp.ms / 1000)),
      "peak RSS": mb(stamp.maxRSS),
    });
    const results = new Map<string, PathFigures>();
    for (const engine of PATHS) {
      const f = await measurePath(engine, emulator.endpoint, config, table, bucket);
      results.set(engine, f);
      const m = f.manifest;
      printRow(`${engine} (readPath ${m.readPath})`, {
        rows: n(m.rows),
        time: `${(f.ms / 1000).toFixed(2)}s`,
        "rows/s": n(m.rows / (f.ms / 1000)),
        itemsRead: n(m.itemsRead),
        "read/exported": (m.itemsRead / Math.max(1, m.rows)).toFixed(2),
        readAmplification: m.readAmplification ?? "null",
        "peak RSS": mb(f.maxRSS),
      });
    }
    const scan = results.get("scan");
    if (!scan || results.size < 3) return;
    for (const engine of ["query", "native"]) {
      const f = results.get(engine) as PathFigures;
      printRow(`${engine} / scan`, {
        time: (f.ms / scan.ms).toFixed(2),
        "items read": (f.manifest.itemsRead / scan.manifest.itemsRead).toFixed(2),
        "peak RSS": (f.maxRSS / scan.maxRSS).toFixed(2),
      });
    }
    const shas = new Set([...results.values()].map((f) => f.manifest.sha256));
    const bytes = [...results.values()].map((f) => `${f.manifest.readPath} ${n(f.manifest.bytes)}`).join(", ");
    if (shas.size === 1) {
      console.log(`same CSV from the three paths: sha256 ${[...shas][0]} (bytes: ${bytes})`);
    } else {
      const each = [...results.values()].map((f) => `${f.manifest.readPath} ${f.manifest.sha256}`).join(", ");
      console.log(`WARNING: the three paths exported DIFFERENT CSVs: ${each} (bytes: ${bytes})`);
      process.exitCode = 1;
    }
  } finally {
    clients.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
