// Archive throughput against the emulator: archiving REMOVE events of items never archived before
// (archiver handler: first writes) and a range restore, each sequential (the baseline) and with
// the bounded concurrency the code uses; medians of 3 runs.
import { BatchWriteItemCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { createHandler } from "../lambda/archiver";
import { matchesRemovePattern, toPipeBusEvent } from "../src/core/archive/pipe-event";
import { restoreRange } from "../src/core/archive/restore-range";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../src/core/aws/clients";
import * as more from "../src/core/aws/more-clients";
import { mapLimit } from "../src/core/concurrency";
import { silentReporter } from "../src/core/reporter";
import { readStream } from "../src/local/streams";
import { createKmsKey, createStreamTable, stringKey } from "../test/support/fixtures";
import { median, printRow, withEmulator } from "./support";

const ITEMS = 300;
const RUNS = 3;

await withEmulator(async ({ endpoint }) => {
  const clients = createAwsClients({ region: "us-east-1", endpointUrl: endpoint, credentials: EMULATOR_CREDENTIALS }, more);
  const kms = await createKmsKey(clients);
  const bucket = "bench-archive";
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await clients.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  const table = "bench-archive-table";
  const streamArn = await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("id") });
  const ids = Array.from({ length: ITEMS }, (_, i) => `B#${i}`);
  const write = async (requests: WriteRequest[], into = table) => {
    const batches = Array.from({ length: Math.ceil(requests.length / 25) }, (_, i) => requests.slice(i * 25, i * 25 + 25));
    await mapLimit(batches, 8, (batch) => clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [into]: batch } })));
  };
  const putAll = () =>
    write(ids.map((id, i) => ({ PutRequest: { Item: { id: { S: id }, n: { N: String(i) }, s: { S: "x".repeat(200) } } } })));
  const deleteAll = () => write(ids.map((id) => ({ DeleteRequest: { Key: { id: { S: id } } } })));

  await putAll();
  await deleteAll();
  const handle = createHandler({ s3: clients.s3, dynamodb: clients.dynamodb, bucket, kmsKeyArn: kms, reporter: silentReporter });

  // Archiving first writes: every run archives REMOVE events of items never archived before (their
  // own table, so the range restore below still finds its 300); a re-sent event only meets
  // If-None-Match and costs one request, so it would flatter the figures.
  const writesTable = "bench-archive-writes";
  const writesStream = await createStreamTable(clients.dynamodb, { TableName: writesTable, ...stringKey("id") });
  const checkpoint = {};
  const freshEvents = async (run: string) => {
    const batch = Array.from({ length: ITEMS }, (_, i) => `W#${run}#${i}`);
    await write(
      batch.map((id, i) => ({ PutRequest: { Item: { id: { S: id }, n: { N: String(i) }, s: { S: "x".repeat(200) } } } })),
      writesTable,
    );
    await write(
      batch.map((id) => ({ DeleteRequest: { Key: { id: { S: id } } } })),
      writesTable,
    );
    const read = await readStream(clients.streams, writesStream, checkpoint);
    Object.assign(checkpoint, read.checkpoint);
    const events = read.records.map((r) => toPipeBusEvent(r)).filter(matchesRemovePattern);
    if (events.length !== ITEMS) throw new Error(`expected ${ITEMS} REMOVE events, read ${events.length}`);
    return events;
  };
  const archiveRates: Record<number, number> = {};
  for (const concurrency of [1, 16]) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const events = await freshEvents(`${concurrency}-${i}`);
      const start = performance.now();
      await mapLimit(events, concurrency, (e) => handle(e));
      times.push(performance.now() - start);
    }
    archiveRates[concurrency] = (ITEMS / median(times)) * 1000;
    printRow(`archive ${ITEMS} first writes, concurrency ${concurrency}`, {
      median_ms: Math.round(median(times)),
      events_per_s: Math.round(archiveRates[concurrency] ?? 0),
    });
  }
  printRow("archive speed-up, concurrency 16 vs 1", { ratio: ((archiveRates[16] ?? 0) / (archiveRates[1] ?? 1)).toFixed(2) });
  // The range restore's items, archived (untimed); then the same events again for comparison: each
  // is already archived, so it costs one conditional PutObject that S3 refuses.
  const { records } = await readStream(clients.streams, streamArn);
  const events = records.map((r) => toPipeBusEvent(r)).filter(matchesRemovePattern);
  await mapLimit(events, 16, (e) => handle(e));
  const dupStart = performance.now();
  await mapLimit(events, 16, (e) => handle(e));
  printRow(`archive ${events.length} duplicates (already archived), concurrency 16`, {
    ms: Math.round(performance.now() - dupStart),
  });

  const results: Record<number, number> = {};
  for (const concurrency of [1, 16]) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await deleteAll();
      const start = performance.now();
      const r = await restoreRange(
        { s3: clients.s3, bucket, dynamodb: clients.dynamodb, reporter: silentReporter },
        { table, retentionDays: 7, concurrency },
      );
      times.push(performance.now() - start);
      if (r.restored !== ITEMS) throw new Error(`restored ${r.restored} of ${ITEMS}`);
    }
    results[concurrency] = median(times);
    printRow(`range restore of ${ITEMS} items, concurrency ${concurrency}`, {
      median_ms: Math.round(median(times)),
      items_per_s: Math.round((ITEMS / median(times)) * 1000),
    });
  }
  printRow("range restore speed-up, concurrency 16 vs 1", { ratio: ((results[1] ?? 0) / (results[16] ?? 1)).toFixed(2) });
  clients.destroy();
});
