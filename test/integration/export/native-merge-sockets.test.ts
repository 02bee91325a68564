// The native path's merge of a big day does not wait forever for a socket. A time range is merged
// from one slice of every batch's run object, each a ranged GET streamed as the merge reads it. The
// SDK's HTTP agent opens at most 50 sockets per origin ("The SDK for JavaScript uses a maxSockets
// value of 50 if you do not supply a value or an Agent object",
// https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html),
// and a socket is given back only when its body has been read to the end: a merge holding more
// slices open than that, each larger than what a socket buffers, waits on its 51st GET for a socket
// that never comes (the worker would then run until its Lambda timeout, and so would each retry).
// Here 70 batches of ~200 KB slices, one range: the merge must finish, with the scan's sha256.
import { createHash } from "node:crypto";
import { UpdateContinuousBackupsCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayWindow } from "../../../src/core/export/day-window";
import { objectKey } from "../../../src/core/export/manifest";
import type { RangeRef } from "../../../src/core/export/native/phases";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { dealDataFile, nativeWorker, startExport } from "./native-tasks";
import { configFile, createVersionedBucket, type Item, putItems, readBytes, readText, S, TEST_KEY_ARN } from "./support";
import { createIndexedTable } from "./week";

const ZONE = "UTC";
const DAY = "2026-11-24";
const ROWS = 2_000;
/** More batches than the SDK's 50 sockets. */
const BATCHES = 70;
/** ~14 MB in all: ~200 KB of each batch's run in the day's one range. */
const NOTE = "n".repeat(7_000);
/** Far longer than the merge takes (about 2 s here); a stalled merge never ends. */
const MERGE_DEADLINE_MS = 45_000;

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

const items: Item[] = Array.from({ length: ROWS }, (_, i) => ({
  id: S(`big-${String(i).padStart(5, "0")}`),
  fecha: S(new Date(dayWindow(DAY, ZONE).start + ((i * 7919) % 86_400) * 1000).toISOString()),
  estado: S("OK"),
  nota: S(NOTE),
}));

describe("the native merge of a range with more slices than the SDK's sockets", () => {
  const clients = emulatorClients();
  let table: string;
  let bucket: string;

  beforeAll(async () => {
    table = await createIndexedTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, items);
    await clients.dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );
  });
  afterAll(() => clients.destroy());

  it(`merges ${BATCHES} batches' slices into the scan's bytes`, async () => {
    const config = configFile(ZONE, 1);
    const target = ["--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN];
    const scan = await runCli(["--config", config, "--json", "export", "--date", DAY, "--engine", "scan", ...target], {
      env: emulatorEnv(),
    });
    expect(scan.code, scan.stderr).toBe(0);
    const expected = JSON.parse(scan.stdout).sha256 as string;

    const handle = nativeWorker(clients, { table, bucket, zone: ZONE });
    const job = await startExport(handle, DAY, "sockets-test");
    // One batch per data file: BATCHES of them.
    const files = await dealDataFile(clients, bucket, handle, job, BATCHES);
    for (const file of files) await handle({ Items: [file], BatchInput: { action: "columns", job } });
    const rangeList = (await handle({ action: "header", job })) as { key: string; count: number };
    expect(rangeList.count).toBe(1);
    for (const file of files) await handle({ Items: [file], BatchInput: { action: "part", job } });
    const range = (JSON.parse(await readText(clients, bucket, rangeList.key)) as RangeRef[])[0] as RangeRef;

    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the merge of ${BATCHES} slices did not end in ${MERGE_DEADLINE_MS} ms`)),
        MERGE_DEADLINE_MS,
      );
    });
    await Promise.race([handle({ Items: [range], BatchInput: { action: "merge", job } }), stalled]).finally(() => clearTimeout(timer));
    const manifest = (await handle({ action: "assemble", job })) as Record<string, unknown>;
    expect(manifest).toMatchObject({ rows: ROWS, sha256: expected });
    expect(manifest.bytes as number).toBeGreaterThan(BATCHES * 100_000);
    expect(sha256(await readBytes(clients, bucket, objectKey(table, DAY)))).toBe(expected);
  }, 120_000);
});
