// audit_producer: throughput of a 1,000-record batch written to moto in process, against a
// baseline measured in the same run (sequential conditional PutItem, no batch processor), and the
// bundle's size and cold import time in a fresh Node process.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { createHandler } from "../lambda/audit-producer";
import { auditEntries, toAuditItem } from "../src/core/audit/entries";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../src/core/aws/clients";
import * as more from "../src/core/aws/more-clients";
import { silentReporter } from "../src/core/reporter";
import { bundleAuditProducer } from "../test/support/audit-bundle";
import { createAuditTables } from "../test/support/audit-tables";
import { insertRecord, modifyRecord, removeRecord } from "../test/support/stream-records";
import { measure, median, printRow, root, withEmulator } from "./support";

const RECORDS = 1000;
const RUNS = 3;

/** A realistic mix: 40% INSERT, 40% MODIFY of two attributes (one a map), 20% REMOVE. */
let batchNo = 0;
function batch(): DynamoDBRecord[] {
  batchNo++;
  const at = 1_795_451_422 + batchNo;
  return Array.from({ length: RECORDS }, (_, i) => {
    const key = { S: `KEY_${i % 200}` };
    const item = { key, value: { N: String(i) }, limits: { M: { daily: { N: "10" }, regions: { SS: ["eu", "us"] } } } };
    const eventID = `bench-${batchNo}-${i}`;
    if (i % 5 < 2) return insertRecord(item, { eventID, at });
    if (i % 5 < 4) {
      const changed = { ...item, value: { N: String(i + 1) }, limits: { M: { daily: { N: "20" }, regions: { SS: ["eu"] } } } };
      return modifyRecord(item, changed, { eventID, at });
    }
    return removeRecord(item, { eventID, at });
  });
}

const perSecond = (count: number, ms: number) => Math.round((count * 1000) / ms);

async function throughput(endpoint: string): Promise<void> {
  const clients = createAwsClients({ region: "us-east-1", endpointUrl: endpoint, credentials: EMULATOR_CREDENTIALS }, more);
  const entriesPerBatch = batch().flatMap((r) => auditEntries(r)).length;
  console.log(`batch: ${RECORDS} records → ${entriesPerBatch} entries; ${RUNS} runs each after 1 warm-up, medians`);

  const compute = await measure(() => batch().flatMap((r) => auditEntries(r)), RUNS);
  printRow("entries computed only (no I/O)", { median_ms: median(compute).toFixed(1) });

  // Baseline: the obvious loop, one conditional PutItem after another.
  const baselineTable = (await createAuditTables(clients.dynamodb)).auditTable;
  const sequential = await measure(async () => {
    for (const record of batch()) {
      for (const entry of auditEntries(record)) {
        await clients.dynamodb.send(
          new PutItemCommand({ TableName: baselineTable, Item: toAuditItem(entry), ConditionExpression: "attribute_not_exists(id)" }),
        );
      }
    }
  }, RUNS);
  const base = median(sequential);
  printRow("baseline: sequential conditional PutItem", { median_ms: base.toFixed(0), records_per_s: perSecond(RECORDS, base) });

  for (const concurrency of [16]) {
    const table = (await createAuditTables(clients.dynamodb)).auditTable;
    const handler = createHandler({ dynamodb: clients.dynamodb, auditTableName: table, reporter: silentReporter, concurrency });
    const times = await measure(async () => {
      const response = await handler({ Records: batch() });
      if (response.batchItemFailures.length) throw new Error(`${response.batchItemFailures.length} records failed`);
    }, RUNS);
    const m = median(times);
    printRow(`handler (BatchProcessor, concurrency ${concurrency})`, {
      median_ms: m.toFixed(0),
      records_per_s: perSecond(RECORDS, m),
      entries_per_s: perSecond(entriesPerBatch, m),
      vs_baseline: `${(base / m).toFixed(2)}x`,
    });
  }

  // At-least-once delivery: the same batch again (every write meets its own earlier entry).
  const replayTable = (await createAuditTables(clients.dynamodb)).auditTable;
  const replayHandler = createHandler({ dynamodb: clients.dynamodb, auditTableName: replayTable, reporter: silentReporter });
  const fixed = batch();
  await replayHandler({ Records: fixed });
  const replay = await measure(() => replayHandler({ Records: fixed }), RUNS, 0);
  printRow("handler replaying a processed batch (concurrency 16)", {
    median_ms: median(replay).toFixed(0),
    records_per_s: perSecond(RECORDS, median(replay)),
  });
  clients.destroy();
}

function coldImport(bundle: string): number[] {
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); console.log(performance.now() - t);`;
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        AWS_REGION: "us-east-1",
        AUDIT_TABLE_NAME: "bench",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
    });
    if (run.status !== 0) throw new Error(run.stderr);
    times.push(Number(run.stdout.trim()));
  }
  return times;
}

async function bundleFigures(): Promise<void> {
  const dir = join(root, ".trace", "bench", "audit-bundle");
  mkdirSync(dir, { recursive: true });
  const shipped = join(dir, "audit-producer.mjs");
  await bundleAuditProducer(shipped);
  // Baseline in the same run: what a fresh Node process pays to import an empty module.
  const empty = join(dir, "empty.mjs");
  writeFileSync(empty, "export {};\n");
  for (const [label, file] of [
    ["empty module (baseline)", empty],
    ["audit_producer bundle as deployed", shipped],
  ] as const) {
    const size = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).length;
    const times = coldImport(file);
    printRow(label, { bytes: size, gzip_bytes: gz, cold_import_ms_median: median(times).toFixed(0), runs: times.length });
  }
}

console.log("audit_producer benchmark");
await withEmulator((emulator) => throughput(emulator.endpoint));
await bundleFigures();
