// What `archive restore` asks before it overwrites, driven on a pseudo-terminal as a person would
// answer it (test/support/pty.ts): --force over a live item, and a range restore. Enter takes the
// default, No, and nothing is written; `y` writes. Without a terminal: restore-range and
// archive-restore tests check the refusal (exit 2 unless --yes).
import { type AttributeValue, DeleteItemCommand, GetItemCommand, PutItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorClients, emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";
import { ENTER, runCliOnPty } from "../../support/pty";
import { type Archiver, archiver, archiveStream, createKmsKey, createStreamTable, createVersionedBucket } from "./support";

const clients = emulatorClients();
let target: Archiver;
const table = uniqueName("restore-prompts");
const ids = ["P-1", "P-2", "P-3"];
let since = "";

const key = (id: string) => ({ id: { S: id } });
const item = async (id: string) =>
  (await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: key(id), ConsistentRead: true }))).Item;
const pty = (args: string[], answer: string, question: RegExp) =>
  runCliOnPty(
    ["archive", "restore", "--table", table, ...args, "--endpoint-url", emulatorEndpoint(), "--bucket", target.bucket],
    [{ expect: question.source, send: answer }],
    emulatorEnv(),
  );

beforeAll(async () => {
  target = archiver(clients, await createVersionedBucket(clients), await createKmsKey(clients));
  const streamArn = await createStreamTable(clients.dynamodb, {
    TableName: table,
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
  });
  since = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000).toISOString();
  for (const id of ids) {
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key(id), v: { S: "archived" } } }));
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key(id) }));
  }
  const run = await archiveStream(clients, target, streamArn);
  expect(run.outcomes.filter((o) => o.status === "archived")).toHaveLength(ids.length);
  // P-1 lives again, changed since its deletion.
  await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key("P-1"), v: { S: "live" } } }));
});
afterAll(() => clients.destroy());

describe("archive restore asks before it overwrites (on a terminal)", () => {
  it("--force over a live item: says what, asks (y/N); Enter keeps the live item", async () => {
    const declined = await pty(["--key", "id=P-1", "--force"], ENTER, /Overwrite the live item.*\?/);
    expect(declined.timedOut).toBe(false);
    expect(declined.output).toMatch(/a live item with id="P-1" exists .*--force overwrites it with version/);
    expect(declined.output).toContain("(y/N)");
    expect(declined.output).toContain("restore declined");
    expect(declined.code).toBe(1);
    expect(await item("P-1")).toEqual({ ...key("P-1"), v: { S: "live" } } satisfies Record<string, AttributeValue>);

    const confirmed = await pty(["--key", "id=P-1", "--force"], `y${ENTER}`, /Overwrite the live item.*\?/);
    expect(confirmed.code, confirmed.output).toBe(0);
    expect(confirmed.output).toContain("overwrote the live item");
    expect(await item("P-1")).toEqual({ ...key("P-1"), v: { S: "archived" } });
  });

  it("a range restore: how many, which are live, asks; Enter writes nothing", async () => {
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key("P-1"), v: { S: "live" } } }));
    const declined = await pty(["--since", since], ENTER, /Write 2 item\(s\) into .*\?/);
    expect(declined.timedOut).toBe(false);
    expect(declined.output).toContain(`will restore 2 item(s) into ${table} (1 live item(s) skipped)`);
    expect(declined.output).toContain('live: id="P-1"');
    expect(declined.code).toBe(1);
    const none = await clients.dynamodb.send(new ScanCommand({ TableName: table }));
    expect(none.Items).toEqual([{ ...key("P-1"), v: { S: "live" } }]);

    const forced = await pty(["--since", since, "--force"], ENTER, /Write 3 item\(s\) into .*, 1 of them over live items\?/);
    expect(forced.output).toContain("and OVERWRITE 1 live item(s)");
    expect(forced.code).toBe(1);
    expect(await item("P-1")).toEqual({ ...key("P-1"), v: { S: "live" } });

    const confirmed = await pty(["--since", since], `y${ENTER}`, /Write 2 item\(s\) into .*\?/);
    expect(confirmed.code, confirmed.output).toBe(0);
    expect(await item("P-1")).toEqual({ ...key("P-1"), v: { S: "live" } });
    expect(await item("P-2")).toEqual({ ...key("P-2"), v: { S: "archived" } });
    expect(await item("P-3")).toEqual({ ...key("P-3"), v: { S: "archived" } });
  });
});
