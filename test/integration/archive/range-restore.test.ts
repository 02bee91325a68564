import { BatchWriteItemCommand, PutItemCommand, ScanCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { mapLimit } from "../../../src/core/concurrency";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { archiver, archiveStream, cli, createKmsKey, createStreamTable, createVersionedBucket } from "./support";

const clients = emulatorClients();
afterAll(() => clients.destroy());

const COUNT = 1000;
const LIVE = 10;

async function batchWrite(table: string, requests: WriteRequest[]) {
  const batches = Array.from({ length: Math.ceil(requests.length / 25) }, (_, i) => requests.slice(i * 25, i * 25 + 25));
  await mapLimit(batches, 8, async (batch) => {
    const out = await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
    expect(Object.keys(out.UnprocessedItems ?? {})).toEqual([]);
  });
}

describe("range restore", () => {
  it(`restores ${COUNT} items deleted in a range with a correct summary, and a second run restores none`, async () => {
    const target = archiver(clients, await createVersionedBucket(clients), await createKmsKey(clients));
    const table = uniqueName("archive-range");
    const streamArn = await createStreamTable(clients.dynamodb, {
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    });
    const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000).toISOString();
    const ids = Array.from({ length: COUNT }, (_, i) => `T#${String(i).padStart(4, "0")}/x`);
    await batchWrite(
      table,
      ids.map((id, i) => ({ PutRequest: { Item: { id: { S: id }, n: { N: String(i) }, estado: { S: "CERRADO" } } } })),
    );
    await batchWrite(
      table,
      ids.map((id) => ({ DeleteRequest: { Key: { id: { S: id } } } })),
    );
    const run = await archiveStream(clients, target, streamArn);
    expect(run.events).toHaveLength(COUNT);
    expect(run.outcomes.filter((o) => o.status === "archived")).toHaveLength(COUNT);
    const until = new Date(Date.now() + 2000).toISOString();

    // A few keys have been written again since: the range restore must leave them alone.
    for (const id of ids.slice(0, LIVE)) {
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, estado: { S: "NUEVO" } } }));
    }

    // A range restore writes many items: without a terminal it needs --yes (exit 2, nothing written).
    const unasked = await cli(target, ["restore", "--table", table, "--since", since, "--until", until]);
    expect(unasked.code, unasked.stderr).toBe(2);
    expect(unasked.stderr).toContain(`will restore ${COUNT - LIVE} item(s) into ${table} (${LIVE} live item(s) skipped)`);
    expect(unasked.stderr).toContain("--yes");
    const none = await clients.dynamodb.send(new ScanCommand({ TableName: table, Select: "COUNT" }));
    expect(none.Count).toBe(LIVE);

    const first = await cli(target, ["restore", "--table", table, "--since", since, "--until", until, "--yes", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ mode: "range", items: COUNT, restored: COUNT - LIVE, skippedLive: LIVE, failed: 0 });
    expect(first.stderr).toContain(`restored ${COUNT - LIVE}, skipped ${LIVE} live, failed 0`);

    const second = await cli(target, ["restore", "--table", table, "--since", since, "--until", until]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/restored\s+skipped \(live\)\s+failed/);
    expect(second.stdout.split("\n")[1]?.trim().split(/\s+/)).toEqual(["0", String(COUNT), "0", "0", String(COUNT)]);

    const outside = await cli(target, ["restore", "--table", table, "--until", since, "--json"]);
    expect(JSON.parse(outside.stdout)).toMatchObject({ items: 0, restored: 0 });
  });
});
