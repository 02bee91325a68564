// A number key as a user types it: DynamoDB stores (and streams) a number in its normal form
// (`2.0` → `2`, `1e2` → `100`, `-0` → `0`), so the archive's object keys hold that form. The
// lookups normalise a typed value when the archive records the key attribute as a number, and
// only then: a string key `2.0` is a different item from `2`.
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { type Archiver, archiver, archiveStream, cli, createKmsKey, createStreamTable, createVersionedBucket } from "./support";

const clients = emulatorClients();
let target: Archiver;
const numberTable = uniqueName("archive-num");
const stringTable = uniqueName("archive-str");

type Listed = { versions: { keys: Record<string, string> }[] };
const list = async (table: string, key: string): Promise<Listed> => {
  const result = await cli(target, ["list", "--table", table, "--key", key, "--json"]);
  const listed = JSON.parse(result.stdout) as Listed;
  // Nothing matched is exit 3 (the empty result still on stdout).
  expect(result.code, result.stderr).toBe(listed.versions.length === 0 ? 3 : 0);
  return listed;
};

beforeAll(async () => {
  target = archiver(clients, await createVersionedBucket(clients), await createKmsKey(clients));
  for (const [table, type] of [
    [numberTable, "N"],
    [stringTable, "S"],
  ] as const) {
    const stream = await createStreamTable(clients.dynamodb, {
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: type }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    });
    // Normal forms, as DynamoDB stores them; and for the number table one sent as `5.00`, which
    // the emulator keeps as sent (DynamoDB would store 5).
    const ids = type === "N" ? ["2", "100", "0", "5.00"] : ["2", "100", "0"];
    for (const id of ids) {
      const key = { id: type === "N" ? { N: id } : { S: id } };
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key, v: { S: `item ${id}` } } }));
      await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key }));
    }
    const { outcomes } = await archiveStream(clients, target, stream);
    expect(outcomes).toHaveLength(ids.length);
  }
});
afterAll(() => clients.destroy());

describe("number keys typed in another notation", () => {
  for (const [typed, stored] of [
    ["2.0", "2"],
    ["1e2", "100"],
    ["100.000", "100"],
    ["-0", "0"],
  ]) {
    it(`archive list --key id=${typed} finds the item archived under id=${stored}`, async () => {
      const { versions } = await list(numberTable, `id=${typed}`);
      expect(versions.map((v) => v.keys.id)).toEqual([stored]);
    });
  }

  it("an item the emulator streamed as 5.00 is archived under 5, as on AWS, and found by either spelling", async () => {
    const archived = await clients.s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: `archive/${numberTable}/id=5` }));
    expect((archived.Contents ?? []).map((o) => o.Key?.split("/")[2])).toEqual(["id=5"]);
    expect((await list(numberTable, "id=5")).versions.map((v) => v.keys.id)).toEqual(["5"]);
    expect((await list(numberTable, "id=5.00")).versions.map((v) => v.keys.id)).toEqual(["5"]);
  });

  it("archive restore --key id=2.0 puts back the item whose key is 2", async () => {
    const result = await cli(target, ["restore", "--table", numberTable, "--key", "id=2.0", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: numberTable, Key: { id: { N: "2" } } }));
    expect(Item).toEqual({ id: { N: "2" }, v: { S: "item 2" } });
  });

  it("a string key is taken as typed: id=2.0 is not the item 2", async () => {
    expect((await list(stringTable, "id=2.0")).versions).toEqual([]);
    expect((await list(stringTable, "id=2")).versions.map((v) => v.keys.id)).toEqual(["2"]);
  });
});
