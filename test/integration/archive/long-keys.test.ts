// Keys at DynamoDB's limits (partition key 2048 bytes, sort key 1024, table name 255 characters)
// archived through the real archiver path and found again by the key a user types. S3 refuses
// object keys over 1024 bytes (KeyTooLongError) but the emulator takes them, so every test here
// asserts the limit itself on every object version it leaves in the bucket.
import { type AttributeValue, DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toArchiveObject } from "../../../src/core/archive/archive-object";
import { keyPrefix, readableKeyPrefix, S3_MAX_KEY_BYTES } from "../../../src/core/archive/object-key";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { type Archiver, archiver, archiveStream, cli, createKmsKey, createStreamTable, createVersionedBucket, normalize } from "./support";

const clients = emulatorClients();
let target: Archiver;

beforeAll(async () => {
  target = archiver(clients, await createVersionedBucket(clients), await createKmsKey(clients));
});
afterAll(() => clients.destroy());

const bytes = (text: string) => Buffer.byteLength(text, "utf8");
/** `total` bytes of UTF-8 made of `char`. */
const ofBytes = (char: string, total: number) => char.repeat(total / bytes(char));

/** Every object version and delete marker under the table's archive, with its key's UTF-8 length. */
async function objectKeys(table: string): Promise<string[]> {
  const out = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: `archive/${table}/` }));
  return [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])].map((v) => v.Key ?? "");
}

async function expectAllWithinS3Limit(table: string, atLeast: number) {
  const keys = await objectKeys(table);
  expect(keys.length).toBeGreaterThanOrEqual(atLeast);
  for (const key of keys) expect(bytes(key), key.slice(0, 120)).toBeLessThanOrEqual(S3_MAX_KEY_BYTES);
}

/**
 * moto 5.2.5 base64-encodes a binary key attribute twice in a stream record's `Keys` (the
 * OldImage beside it is right); AWS sends base64 of the bytes in both. The record is otherwise the
 * emulator's own: only `Keys` is set from the OldImage's key attributes, as AWS would send it.
 */
function keysAsAwsSendsThem(record: DynamoDBRecord): DynamoDBRecord {
  const image = record.dynamodb?.OldImage ?? record.dynamodb?.NewImage ?? {};
  const keys = Object.fromEntries(Object.keys(record.dynamodb?.Keys ?? {}).map((name) => [name, image[name]]));
  return { ...record, dynamodb: { ...record.dynamodb, Keys: keys as NonNullable<DynamoDBRecord["dynamodb"]>["Keys"] } };
}

const json = (text: string) => JSON.parse(text) as Record<string, unknown> & { versions: { keys: Record<string, string> }[] };
const keyArgs = (keys: Record<string, string>) => Object.entries(keys).flatMap(([k, v]) => ["--key", `${k}=${v}`]);

describe("a 255-character table keyed by a 2048-byte partition key", () => {
  // DynamoDB's longest table name; [a-zA-Z0-9_.-] only.
  const table = `${uniqueName("archive-long")}-${"t".repeat(255)}`.slice(0, 255);
  const ids = {
    "1-byte characters": ofBytes("a", 2048),
    "2-byte characters": ofBytes("ñ", 2048),
    "4-byte characters": ofBytes("🚚", 2048),
    "the issue's 300 ñ": "ñ".repeat(300),
    "a short id (readable layout)": "A#1/x",
  };
  const items = new Map<string, Record<string, AttributeValue> | undefined>();

  it("archives every deletion under an object key of at most 1024 bytes", async () => {
    expect(table).toHaveLength(255);
    const streamArn = await createStreamTable(clients.dynamodb, {
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    });
    for (const [label, id] of Object.entries(ids)) {
      // The emulator enforces DynamoDB's 2048-byte partition key: these are legal keys.
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, label: { S: label }, n: { N: "7" } } }));
      items.set(
        id,
        (await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }))).Item,
      );
      await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id } } }));
    }
    const run = await archiveStream(clients, target, streamArn);
    expect(run.outcomes.map((o) => o.status)).toEqual(Object.values(ids).map(() => "archived"));
    for (const outcome of run.outcomes) expect(bytes(outcome.objectKey ?? "")).toBeLessThanOrEqual(S3_MAX_KEY_BYTES);
    await expectAllWithinS3Limit(table, Object.keys(ids).length);
    // The short id keeps today's readable layout; the long ones take the short form.
    expect(run.outcomes[4]?.objectKey?.startsWith(`archive/${table}/id=A%231%2Fx/`)).toBe(true);
    expect(run.outcomes.slice(0, 4).every((o) => o.objectKey?.startsWith(`archive/${table}/=sha256=`))).toBe(true);
  });

  it("`archive list` shows the real keys, and `--key` finds each item by the key typed", async () => {
    const all = await cli(target, ["list", "--table", table, "--json"]);
    expect(all.code, all.stderr).toBe(0);
    expect(
      json(all.stdout)
        .versions.map((v) => v.keys.id)
        .sort(),
    ).toEqual(Object.values(ids).sort());
    for (const id of Object.values(ids)) {
      const one = await cli(target, ["list", "--table", table, "--key", `id=${id}`, "--json"]);
      expect(one.code, one.stderr).toBe(0);
      expect(json(one.stdout).versions.map((v) => v.keys)).toEqual([{ id }]);
    }
  });

  it("`archive restore --key` puts each item back as it was", async () => {
    for (const id of Object.values(ids)) {
      const restored = await cli(target, ["restore", "--table", table, "--key", `id=${id}`, "--json"]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(JSON.parse(restored.stdout)).toMatchObject({ action: "restored", keys: { id } });
      const got = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }));
      expect(normalize(got.Item)).toEqual(normalize(items.get(id)));
    }
  });

  it("`archive purge --key` removes exactly that item's versions", async () => {
    const id = ids["4-byte characters"];
    const purged = await cli(target, ["purge", "--table", table, "--key", `id=${id}`, "--yes", "--json"]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ archivedVersions: 1, objectVersions: 1, remaining: 0 });
    const left = json((await cli(target, ["list", "--table", table, "--json"])).stdout).versions.map((v) => v.keys.id);
    expect(left.sort()).toEqual(
      Object.values(ids)
        .filter((v) => v !== id)
        .sort(),
    );
    await expectAllWithinS3Limit(table, 1);
  });
});

describe("composite keys at their limits: string and binary", () => {
  const stringTable = uniqueName("archive-long-sk");
  const binaryTable = uniqueName("archive-long-bin");
  const b64 = (fill: number, length: number) => Buffer.alloc(length, fill).toString("base64");
  const stringKeys = [
    { label: "1024-byte sort key", pk: "P-1", sk: `${ofBytes("€", 1023)}a` },
    { label: "both at their maximum", pk: ofBytes("🚚", 2048), sk: ofBytes("ñ", 1024) },
    { label: "same long partition key, short sort key", pk: ofBytes("🚚", 2048), sk: "S-2" },
  ];
  const binaryKeys = [
    { label: "binary keys of maximal size", pk: b64(0xff, 2048), sk: b64(0x00, 1024) },
    { label: "binary, maximal partition key, other sort key", pk: b64(0xff, 2048), sk: b64(0x01, 1024) },
  ];
  let since = "";

  async function archiveTable(table: string, type: "S" | "B", keys: { pk: string; sk: string; label: string }[]) {
    const streamArn = await createStreamTable(clients.dynamodb, {
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: type },
        { AttributeName: "sk", AttributeType: type },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    });
    const value = (text: string): AttributeValue => (type === "S" ? { S: text } : { B: new Uint8Array(Buffer.from(text, "base64")) });
    for (const k of keys) {
      const key = { pk: value(k.pk), sk: value(k.sk) };
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key, label: { S: k.label } } }));
      await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key }));
    }
    const run = await archiveStream(clients, target, streamArn, {}, keysAsAwsSendsThem);
    expect(run.outcomes.map((o) => o.status)).toEqual(keys.map(() => "archived"));
    await expectAllWithinS3Limit(table, keys.length);
    return run;
  }

  it("archives them within 1024 bytes", async () => {
    since = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000).toISOString();
    await archiveTable(stringTable, "S", stringKeys);
    await archiveTable(binaryTable, "B", binaryKeys);
  });

  it("lists by the partition key alone and by the whole key", async () => {
    for (const [table, keys] of [
      [stringTable, stringKeys],
      [binaryTable, binaryKeys],
    ] as const) {
      const all = json((await cli(target, ["list", "--table", table, "--json"])).stdout);
      expect(all.versions.map((v) => v.keys).sort(byJson)).toEqual(keys.map((k) => ({ pk: k.pk, sk: k.sk })).sort(byJson));
      for (const k of keys) {
        const whole = await cli(target, ["list", "--table", table, ...keyArgs({ sk: k.sk, pk: k.pk }), "--json"]);
        expect(whole.code, whole.stderr).toBe(0);
        expect(json(whole.stdout).versions.map((v) => v.keys)).toEqual([{ pk: k.pk, sk: k.sk }]);
        const byPk = json((await cli(target, ["list", "--table", table, "--key", `pk=${k.pk}`, "--json"])).stdout);
        expect(byPk.versions.map((v) => v.keys.sk).sort()).toEqual(
          keys
            .filter((o) => o.pk === k.pk)
            .map((o) => o.sk)
            .sort(),
        );
      }
    }
  });

  it("restores one item by its typed key, then the rest with a range restore", async () => {
    const first = stringKeys[1] as (typeof stringKeys)[number];
    const one = await cli(target, ["restore", "--table", stringTable, ...keyArgs({ pk: first.pk, sk: first.sk }), "--json"]);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ action: "restored", keys: { pk: first.pk, sk: first.sk } });
    const ranged = await cli(target, ["restore", "--table", stringTable, "--since", since, "--yes", "--json"]);
    expect(ranged.code, ranged.stderr).toBe(0);
    expect(JSON.parse(ranged.stdout)).toMatchObject({ mode: "range", items: 3, restored: 2, skippedLive: 1, failed: 0 });
    for (const k of stringKeys) {
      const got = await clients.dynamodb.send(
        new GetItemCommand({ TableName: stringTable, Key: { pk: { S: k.pk }, sk: { S: k.sk } }, ConsistentRead: true }),
      );
      expect(got.Item?.label).toEqual({ S: k.label });
    }
    const bin = binaryKeys[0] as (typeof binaryKeys)[number];
    const binary = await cli(target, ["restore", "--table", binaryTable, ...keyArgs({ pk: bin.pk, sk: bin.sk }), "--json"]);
    expect(binary.code, binary.stderr).toBe(0);
    const key = { pk: { B: new Uint8Array(Buffer.from(bin.pk, "base64")) }, sk: { B: new Uint8Array(Buffer.from(bin.sk, "base64")) } };
    const got = await clients.dynamodb.send(new GetItemCommand({ TableName: binaryTable, Key: key, ConsistentRead: true }));
    expect(got.Item?.label).toEqual({ S: bin.label });
  });

  it("purges one item by its typed key, and a partial key is refused", async () => {
    const bin = binaryKeys[1] as (typeof binaryKeys)[number];
    const partial = await cli(target, ["purge", "--table", binaryTable, "--key", `pk=${bin.pk}`, "--yes"]);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toMatch(/only part of the key/);
    const purged = await cli(target, ["purge", "--table", binaryTable, ...keyArgs({ pk: bin.pk, sk: bin.sk }), "--yes", "--json"]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ archivedVersions: 1, remaining: 0 });
    const left = json((await cli(target, ["list", "--table", binaryTable, "--json"])).stdout);
    expect(left.versions.map((v) => v.keys.sk)).toEqual([binaryKeys[0]?.sk]);
    await expectAllWithinS3Limit(binaryTable, 1);
  });
});

describe("archives written in the readable layout before the short form", () => {
  it("are found with the new ones: one item, two versions, restored and purged together", async () => {
    // 150 'é' = 900 bytes encoded: past the 606-byte budget, so written short now; the previous
    // layout put it in the readable folder, a key S3 accepted (under 1024 bytes for this table).
    const table = uniqueName("archive-legacy");
    const id = "é".repeat(150);
    const streamArn = await createStreamTable(clients.dynamodb, {
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    });
    for (const v of ["1", "2"]) {
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, v: { N: v } } }));
      await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id } } }));
    }
    const run = await archiveStream(clients, target, streamArn);
    const [older, newer] = run.outcomes;
    expect(newer?.objectKey?.startsWith(keyPrefix(table, [{ name: "id", value: id }]))).toBe(true);
    const legacyRecord = run.events[0]?.detail;
    if (!older?.objectKey || !legacyRecord) throw new Error("the first deletion was not archived");
    // Move the first deletion to where the previous archiver wrote it: same body, readable folder.
    const legacyKey = `${readableKeyPrefix(table, [{ name: "id", value: id }])}${older.objectKey.split("/").pop()}`;
    expect(bytes(legacyKey)).toBeLessThanOrEqual(S3_MAX_KEY_BYTES);
    await clients.s3.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: legacyKey, Body: JSON.stringify(toArchiveObject(legacyRecord, undefined).body) }),
    );
    const moved = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: older.objectKey }));
    for (const v of moved.Versions ?? [])
      await clients.s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: older.objectKey, VersionId: v.VersionId }));
    expect(await objectKeys(table)).toHaveLength(2);

    const listed = json((await cli(target, ["list", "--table", table, "--key", `id=${id}`, "--json"])).stdout);
    expect(listed.versions.map((v) => (v as unknown as { objectKey: string }).objectKey)).toEqual([legacyKey, newer?.objectKey]);
    const restored = await cli(target, ["restore", "--table", table, "--key", `id=${id}`, "--json"]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ versions: 2, action: "restored" });
    const got = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }));
    expect(got.Item?.v).toEqual({ N: "2" });
    const purged = await cli(target, ["purge", "--table", table, "--key", `id=${id}`, "--yes", "--json"]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ archivedVersions: 2, remaining: 0 });
    expect(await objectKeys(table)).toEqual([]);
  });
});

function byJson(a: unknown, b: unknown) {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
