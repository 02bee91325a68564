// The stamper on the emulator's real stream: a record rewritten between its stream record and its
// stamp is never overwritten; an item that cannot take its dia is kept whole and listed, its day
// exports by scan until the item can take it; a ledger left too long (the stream keeps records
// 24 h) or kept in another zone starts a new coverage epoch and sweep; a record whose fecha cannot
// be read is stamped into one partition that the query reads to count it as the scan does.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetRecordsCommand, GetShardIteratorCommand } from "@aws-sdk/client-dynamodb-streams";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { putJson } from "../../../src/core/export/native/objects";
import { freshLedger, type Ledger, ledgerKey, readLedger } from "../../../src/core/export/stamp/ledger";
import { runStamper } from "../../../src/core/export/stamp/run";
import { stampItem, UNREADABLE_DAY } from "../../../src/core/export/stamp/stamp-item";
import type { Reporter } from "../../../src/core/reporter";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createVersionedBucket, type Item, putItems, readText, S, TEST_KEY_ARN } from "./support";
import { createIndexedTable, ZONE } from "./week";

const quiet: Reporter = {
  info: () => {},
  warn: () => {},
  debug: () => {},
  progress: () => ({ update: () => {}, succeed: () => {}, fail: () => {}, stop: () => {} }),
  confirm: async () => false,
  choose: async (_q, _c, fallback) => fallback,
};

/**
 * DynamoDB's item limit is 400 KB (409,600 bytes of names and values: "Service, account, and table
 * quotas in Amazon DynamoDB", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html);
 * moto refuses an item past 405,000 bytes of its own count. An item a few bytes under moto's
 * limit is a legal item on AWS too, and the 13 bytes of `dia` + a day push it over moto's: the
 * update fails with ValidationException, as it would on AWS for an item within 13 bytes of 400 KB.
 */
const AWS_ITEM_LIMIT = 400 * 1024;
const MOTO_ITEM_LIMIT = 405_000;

describe("the day stamper on the emulator's stream", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  const config = configFile(ZONE, 1);
  let table: string;
  let bucket: string;
  const stamperConfig = () => ({ table, bucket, kmsKeyId: TEST_KEY_ARN, timeZone: ZONE, retentionDays: 7 });
  const run = (timeZone = ZONE) => runStamper(clients, { ...stamperConfig(), timeZone }, { reporter: quiet });
  const diaOf = async (id: string) =>
    (await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: S(id) }, ConsistentRead: true }))).Item?.dia?.S;
  const exportDay = async (day: string) => {
    const out = join(mkdtempSync(join(tmpdir(), "trace-stamper-")), "day.csv");
    const cli = await runCli(["--config", config, "--json", "export", "--date", day, "--out", out, "--table", table, "--bucket", bucket], {
      env,
    });
    expect(cli.code, cli.stderr).toBe(0);
    return JSON.parse(cli.stdout);
  };

  beforeEach(async () => {
    table = await createIndexedTable(clients);
    bucket = await createVersionedBucket(clients);
  });
  afterAll(() => clients.destroy());

  it("never overwrites a newer write: a stamp from an older fecha fails its condition, the newer record is stamped", async () => {
    await putItems(clients, table, [{ id: S("r"), fecha: S("2026-11-20T10:00:00Z"), estado: S("A") }]);
    await putItems(clients, table, [{ id: S("r"), fecha: S("2026-11-22T10:00:00Z"), estado: S("B") }]);
    // The first record's stamp, arriving after the rewrite: conditional on the fecha it was derived from.
    expect(await stampItem(clients.dynamodb, table, { id: S("r") }, S("2026-11-20T10:00:00Z"), { day: "2026-11-20", expiresAt: 1 })).toBe(
      "superseded",
    );
    expect(await diaOf("r")).toBeUndefined();
    const result = await run();
    expect(result).toMatchObject({ stamped: 1, superseded: 1, failed: 0 });
    expect(await diaOf("r")).toBe("2026-11-22");
    const item = (await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: S("r") } }))).Item;
    expect(item?.estado?.S).toBe("B");
  });

  it("gives an item without expiresAt its write time + the retention, and never changes a writer's own", async () => {
    const before = Math.floor(Date.now() / 1000);
    await putItems(clients, table, [
      { id: S("plain"), fecha: S("2026-11-20T10:00:00Z"), estado: S("A") },
      { id: S("own"), fecha: S("2026-11-20T11:00:00Z"), estado: S("A"), expiresAt: { N: "1900000000" } },
    ]);
    // Already the right dia but no expiresAt: it still needs the stamper.
    await putItems(clients, table, [{ id: S("dated"), fecha: S("2026-11-20T12:00:00Z"), dia: S("2026-11-20"), estado: S("A") }]);
    const result = await run();
    expect(result).toMatchObject({ stamped: 3, failed: 0 });
    const item = async (id: string) =>
      (await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: S(id) }, ConsistentRead: true }))).Item;
    const week = 7 * 86_400;
    for (const id of ["plain", "dated"]) {
      const expires = Number((await item(id))?.expiresAt?.N);
      // The stream record's ApproximateCreationDateTime (whole seconds) + 7 days.
      expect(expires, id).toBeGreaterThanOrEqual(before - 1 + week);
      expect(expires, id).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + week);
    }
    expect((await item("own"))?.expiresAt).toEqual({ N: "1900000000" });
    expect((await item("own"))?.dia?.S).toBe("2026-11-20");
    // Its own update's stream record needs nothing more: the next run stamps nothing.
    expect(await run()).toMatchObject({ stamped: 0 });
  });

  it("keeps a record that cannot take its dia whole, scans its day until it can, and then clears it", async () => {
    const base: Item = { id: S("big"), fecha: S("2026-11-20T10:00:00Z"), estado: S("A"), carga: S("") };
    const sizeOf = (item: Item) => Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.S ?? ""), 0);
    // 5 bytes under moto's limit: `dia` and a day (13 bytes) do not fit.
    const filler = "x".repeat(MOTO_ITEM_LIMIT - 5 - sizeOf(base));
    const big: Item = { ...base, carga: S(filler) };
    expect(sizeOf(big)).toBe(MOTO_ITEM_LIMIT - 5);
    expect(sizeOf(big)).toBeLessThanOrEqual(AWS_ITEM_LIMIT);
    await putItems(clients, table, [big, { id: S("small"), fecha: S("2026-11-19T10:00:00Z"), estado: S("A") }]);
    const result = await run();
    expect(result).toMatchObject({ stamped: 1, failed: 1, failures: 1 });
    const ledger = (await readLedger(clients.s3, bucket, table)) as Ledger;
    expect(ledger.failures).toEqual([
      expect.objectContaining({ day: "2026-11-20", reason: expect.stringContaining("ValidationException") }),
    ]);
    // Kept whole: the stream record with the item's new image, not a pointer.
    const kept = JSON.parse(await readText(clients, bucket, ledger.failures[0]?.kept as string));
    expect(kept.record.dynamodb.NewImage.carga.S).toBe(filler);
    expect(await exportDay("2026-11-20")).toMatchObject({ readPath: "scan", rows: 1 });
    expect((await exportDay("2026-11-20")).readPathReason).toContain("could not be stamped");
    expect(await exportDay("2026-11-19")).toMatchObject({ readPath: "query", rows: 1 });
    // The writer shrinks the item: the next run stamps it and clears the failure.
    await putItems(clients, table, [{ ...big, carga: S("short") }]);
    expect(await run()).toMatchObject({ failures: 0 });
    expect(await diaOf("big")).toBe("2026-11-20");
    expect(await exportDay("2026-11-20")).toMatchObject({ readPath: "query", rows: 1 });
  });

  it("a ledger not updated for 23 hours starts a new coverage epoch, and stamps what the sweep finds", async () => {
    await putItems(clients, table, [{ id: S("a"), fecha: S("2026-11-20T10:00:00Z"), estado: S("A") }]);
    await run();
    // The stamper stopped for a day: its ledger is 24 hours old, so records may have left the stream unread.
    const old = (await readLedger(clients.s3, bucket, table)) as Ledger;
    await putJson(clients.s3, { bucket, kmsKeyId: TEST_KEY_ARN }, ledgerKey(table), { ...old, updatedAt: old.updatedAt - 24 * 3_600_000 });
    const result = await run();
    expect(result.reset).toContain("the stamper last ran 24 h ago");
    expect(result.sweep).toMatchObject({ finished: true, scanned: 1 });
    const ledger = (await readLedger(clients.s3, bucket, table)) as Ledger;
    expect(ledger.coverage.brokenBefore).toContain("24 h ago");
    expect(ledger.coverage.sweep.startedAt).toBeGreaterThanOrEqual(ledger.coverage.since);
  });

  it("a new business zone: the export scans until the stamper, run in the new zone, has derived every dia again", async () => {
    // 23:30 UTC on the 20th is the 21st in Madrid.
    await putItems(clients, table, [{ id: S("z"), fecha: S("2026-11-20T23:30:00Z"), estado: S("A") }]);
    await run("UTC");
    expect(await diaOf("z")).toBe("2026-11-20");
    const scan = await exportDay("2026-11-21");
    expect(scan).toMatchObject({ readPath: "scan", rows: 1 });
    expect(scan.readPathReason).toContain("stamped in UTC");
    const result = await run(ZONE);
    expect(result.reset).toContain("business zone changed from UTC to Europe/Madrid");
    expect(await diaOf("z")).toBe("2026-11-21");
    expect(await exportDay("2026-11-21")).toMatchObject({ readPath: "query", rows: 1 });
  });

  it("a fecha that cannot be read is stamped into one partition, so the query counts it as the scan does", async () => {
    await putItems(clients, table, [
      { id: S("u"), fecha: S("2026-11-20T10:00"), estado: S("A") },
      { id: S("ok"), fecha: S("2026-11-20T10:00:00Z"), estado: S("A") },
    ]);
    await run();
    expect(await diaOf("u")).toBe(UNREADABLE_DAY);
    const query = await exportDay("2026-11-20");
    expect(query).toMatchObject({ readPath: "query", rows: 1, unreadableFecha: 1, unreadableFechaIds: ["u"], itemsRead: 2 });
  });

  it("a new epoch's sweep stamps what the stream no longer shows", async () => {
    await putItems(clients, table, [{ id: S("s"), fecha: S("2026-11-20T10:00:00Z"), estado: S("A") }]);
    expect((await run()).stamped).toBe(1);
    await clients.dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { id: S("t"), fecha: S("2026-11-20T11:00:00Z"), estado: S("A"), dia: S("bad") } }),
    );
    // A new epoch whose positions are already past t's record, as if it had left the stream:
    // only the sweep can find t.
    const ledger = (await readLedger(clients.s3, bucket, table)) as Ledger;
    const restarted = freshLedger(table, ledger.streamArn, ZONE, Date.now());
    for (const [id, state] of Object.entries(ledger.shards))
      restarted.shards[id] = { ...state, seq: await lastSequence(ledger.streamArn, id) };
    await putJson(clients.s3, { bucket, kmsKeyId: TEST_KEY_ARN }, ledgerKey(table), restarted);
    const swept = await run();
    expect(swept).toMatchObject({ read: 0, stamped: 0, sweep: { finished: true, scanned: 2, stamped: 1 } });
    expect(await diaOf("t")).toBe("2026-11-20");
  });

  /** The sequence number of the last record a shard holds now. */
  async function lastSequence(streamArn: string, shardId: string): Promise<string> {
    const { ShardIterator } = await clients.streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }),
    );
    const { Records = [] } = await clients.streams.send(new GetRecordsCommand({ ShardIterator }));
    return Records[Records.length - 1]?.dynamodb?.SequenceNumber as string;
  }
});
