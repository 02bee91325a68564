import { type AttributeValue, DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyPrefix } from "../../../src/core/archive/object-key";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { type Archiver, archiver, archiveStream, cli, createKmsKey, createStreamTable, createVersionedBucket, normalize } from "./support";

const clients = emulatorClients();
let target: Archiver;

beforeAll(async () => {
  target = archiver(clients, await createVersionedBucket(clients), await createKmsKey(clients));
});
afterAll(() => clients.destroy());

const N38 = "12345678901234567890123456789012345678";

function everyType(pk: string, sk: string, n: number): Record<string, AttributeValue> {
  return {
    pk: { S: pk },
    sk: { S: sk },
    s: { S: `texto ñ #/ ${n}` },
    n38: { N: N38 },
    nsmall: { N: "-0.00000000000000000000000000000000000001" },
    b: { B: new Uint8Array([0, 1, 2, 255, n]) },
    yes: { BOOL: true },
    no: { BOOL: false },
    nothing: { NULL: true },
    m: { M: { inner: { M: { deep: { N: "3600" } } }, list: { L: [{ S: "a" }, { N: "1" }, { BOOL: false }] } } },
    l: { L: [{ S: "x" }, { N: N38 }, { NULL: true }, { M: { k: { B: new Uint8Array([9]) } } }, { L: [] }] },
    ss: { SS: ["uno", "dos #/"] },
    ns: { NS: ["1", N38, "-2.5"] },
    bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
  };
}

describe("archive and restore against the emulator (composite key with # and /, every type)", () => {
  const table = uniqueName("archive-fidelity");
  const keys = [
    { pk: "ORDER#1/2026", sk: "LINE#1/a b" },
    { pk: "ORDER#1/2026", sk: "LINE#2/ñ" },
    { pk: "ORDER#2%x=y", sk: "LINE#1/../z" },
  ];
  const before = new Map<string, Record<string, AttributeValue> | undefined>();
  let streamArn = "";

  it("archives each deletion, encrypted with the CMK, and writing the same event twice changes nothing", async () => {
    streamArn = await createStreamTable(clients.dynamodb, {
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    });
    for (const [i, k] of keys.entries()) {
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: everyType(k.pk, k.sk, i) }));
      const got = await clients.dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: k.pk }, sk: { S: k.sk } }, ConsistentRead: true }),
      );
      before.set(`${k.pk}|${k.sk}`, got.Item);
    }
    for (const k of keys)
      await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: k.pk }, sk: { S: k.sk } } }));

    const run = await archiveStream(clients, target, streamArn);
    expect(run.records.map((r) => r.eventName)).toEqual([...keys.map(() => "INSERT"), ...keys.map(() => "REMOVE")]);
    expect(run.outcomes.map((o) => o.status)).toEqual(["archived", "archived", "archived"]);

    const first = run.outcomes[0]?.objectKey ?? "";
    expect(
      first.startsWith(
        keyPrefix(table, [
          { name: "pk", value: "ORDER#1/2026" },
          { name: "sk", value: "LINE#1/a b" },
        ]),
      ),
    ).toBe(true);
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: first }));
    expect(head.ServerSideEncryption).toBe("aws:kms");
    expect(head.SSEKMSKeyId).toContain(target.kmsKeyArn.split("/").pop());
    const body = JSON.parse(
      (await (await clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: first }))).Body?.transformToString()) ?? "{}",
    );
    expect(body).toMatchObject({
      schemaVersion: 1,
      table,
      keys: { pk: { S: "ORDER#1/2026" }, sk: { S: "LINE#1/a b" } },
      deletionKind: "user",
    });
    expect(body.record.dynamodb.OldImage.n38).toEqual({ N: N38 });
    expect(body.record.dynamodb.OldImage.b).toEqual({ B: Buffer.from([0, 1, 2, 255, 0]).toString("base64") });

    // EventBridge delivers at least once: the same event again finds its object and leaves it alone.
    const again = await target.handle(run.events[0]);
    expect(again).toMatchObject({ status: "already-archived", objectKey: first });
    const versions = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: first }));
    expect(versions.Versions ?? []).toHaveLength(1);
  });

  it("`trace archive list` shows them with deletedAt, kind and keys", async () => {
    const listed = await cli(target, ["list", "--table", table, "--json"]);
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    const result = JSON.parse(listed.stdout);
    expect(result.count).toBe(3);
    expect(result.versions.map((v: { keys: unknown }) => v.keys)).toEqual(
      expect.arrayContaining(keys.map((k) => ({ pk: k.pk, sk: k.sk }))),
    );
    expect(result.versions.every((v: { deletionKind: string }) => v.deletionKind === "user")).toBe(true);

    const one = await cli(target, ["list", "--table", table, "--key", "pk=ORDER#1/2026", "--json"]);
    expect(
      JSON.parse(one.stdout)
        .versions.map((v: { keys: { sk: string } }) => v.keys.sk)
        .sort(),
    ).toEqual(["LINE#1/a b", "LINE#2/ñ"]);
    const human = await cli(target, ["list", "--table", table, "--key", "sk=LINE#1/../z"]);
    expect(human.stdout).toMatch(/deletedAt\s+kind\s+keys\s+version/);
    expect(human.stdout).toContain("pk=ORDER#2%x=y sk=LINE#1/../z");
    expect(human.stdout.trim().split("\n")).toHaveLength(2);
    const none = await cli(target, ["list", "--table", table, "--kind", "ttl", "--json"]);
    // Nothing matched: exit 3 (as `audit show`), the empty result still on stdout for scripts.
    expect(none.code).toBe(3);
    expect(JSON.parse(none.stdout).count).toBe(0);
  });

  it("`trace archive restore` brings each item back equal, attribute by attribute and type by type", async () => {
    for (const k of keys) {
      const dry = await cli(target, ["restore", "--table", table, "--key", `pk=${k.pk}`, "--key", `sk=${k.sk}`, "--dry-run", "--json"]);
      expect(JSON.parse(dry.stdout).action).toBe("would-restore");
      const restored = await cli(target, ["restore", "--table", table, "--key", `sk=${k.sk}`, "--key", `pk=${k.pk}`, "--json"]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(JSON.parse(restored.stdout)).toMatchObject({ mode: "item", action: "restored", keys: { pk: k.pk, sk: k.sk } });
      const got = await clients.dynamodb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: k.pk }, sk: { S: k.sk } }, ConsistentRead: true }),
      );
      const original = before.get(`${k.pk}|${k.sk}`);
      expect(Object.keys(got.Item ?? {}).sort()).toEqual(Object.keys(original ?? {}).sort());
      expect(normalize(got.Item)).toEqual(normalize(original));
    }
  });

  it("refuses to restore onto a live item (exit 4, unchanged) and overwrites it with --force", async () => {
    const k = keys[0] as { pk: string; sk: string };
    const key = { pk: { S: k.pk }, sk: { S: k.sk } };
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key, s: { S: "live and changed" } } }));
    const refused = await cli(target, ["restore", "--table", table, "--key", `pk=${k.pk}`, "--key", `sk=${k.sk}`]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/live item .* exists .*nothing was changed/);
    expect(refused.stderr).toContain("--force");
    const unchanged = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(unchanged.Item).toEqual({ ...key, s: { S: "live and changed" } });

    // --force overwrites data: without a terminal it needs --yes (exit 2, nothing written).
    const unasked = await cli(target, ["restore", "--table", table, "--key", `pk=${k.pk}`, "--key", `sk=${k.sk}`, "--force"]);
    expect(unasked.code, unasked.stderr).toBe(2);
    expect(unasked.stderr).toMatch(/live item .* exists .*--force overwrites it/);
    expect(unasked.stderr).toContain("--yes");
    const stillLive = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(stillLive.Item).toEqual({ ...key, s: { S: "live and changed" } });

    const forced = await cli(target, ["restore", "--table", table, "--key", `pk=${k.pk}`, "--key", `sk=${k.sk}`, "--force", "--yes"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("overwrote the live item");
    const back = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(normalize(back.Item)).toEqual(normalize(before.get(`${k.pk}|${k.sk}`)));
  });

  it("needs the whole key, and says which attribute is missing", async () => {
    const partial = await cli(target, ["restore", "--table", table, "--key", "pk=ORDER#1/2026", "--to-table", uniqueName("nowhere")]);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain("--key sk=<value>");
    const missing = await cli(target, ["restore", "--table", table, "--key", "pk=ORDER#9", "--key", "sk=x"]);
    expect(missing.code).toBe(3);
  });
});

describe("versions, TTL and purge", () => {
  const table = uniqueName("archive-versions");
  let streamArn = "";
  const key = { id: { S: "CACHE#TTL/SEC" } };

  it("two deletions of one key are two versions; --version-id picks one; a passed TTL is refreshed unless --keep-ttl", async () => {
    streamArn = await createStreamTable(clients.dynamodb, {
      TableName: table,
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    });
    await clients.dynamodb.send(
      new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" } }),
    );
    const expired = String(Math.floor(Date.now() / 1000) - 3600);
    const future = String(Math.floor(Date.now() / 1000) + 86_400);
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key, v: { N: "1" }, expiresAt: { N: expired } } }));
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key }));
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key, v: { N: "2" }, expiresAt: { N: future } } }));
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key }));
    // moto never expires items by TTL, so the first deletion is dressed as DynamoDB's TTL process
    // sends it (userIdentity of the service); the record is otherwise the emulator's own.
    let removes = 0;
    const run = await archiveStream(clients, target, streamArn, {}, (r) =>
      r.eventName === "REMOVE" && removes++ === 0 ? { ...r, userIdentity: { type: "Service", principalId: "dynamodb.amazonaws.com" } } : r,
    );
    expect(run.outcomes.map((o) => o.status)).toEqual(["archived", "archived"]);

    const listed = JSON.parse((await cli(target, ["list", "--table", table, "--key", "id=CACHE#TTL/SEC", "--json"])).stdout);
    expect(listed.versions.map((v: { deletionKind: string }) => v.deletionKind)).toEqual(["ttl", "user"]);
    const ttlOnly = JSON.parse((await cli(target, ["list", "--table", table, "--kind", "ttl", "--json"])).stdout);
    expect(ttlOnly.count).toBe(1);
    const [older, newer] = listed.versions as { versionId: string; eventId: string }[];

    // Non-TTY with several versions: the latest, and it says so.
    const latest = await cli(target, ["restore", "--table", table, "--key", "id=CACHE#TTL/SEC"]);
    expect(latest.code, latest.stderr).toBe(0);
    expect(latest.stderr).toContain("restoring the latest");
    expect(latest.stdout).toContain(newer?.versionId);
    let got = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(got.Item).toEqual({ ...key, v: { N: "2" }, expiresAt: { N: future } });

    const old = await cli(target, [
      "restore",
      "--table",
      table,
      "--key",
      "id=CACHE#TTL/SEC",
      "--version",
      older?.eventId ?? "",
      "--force",
      "--yes",
      "--json",
    ]);
    expect(old.code, old.stderr).toBe(0);
    const result = JSON.parse(old.stdout);
    expect(result.ttl).toMatchObject({ attribute: "expiresAt", archived: expired });
    const refreshed = Number(result.ttl.refreshed);
    expect(Math.abs(refreshed - (Date.now() / 1000 + 7 * 86_400))).toBeLessThan(120);
    got = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(got.Item).toEqual({ ...key, v: { N: "1" }, expiresAt: { N: result.ttl.refreshed } });

    const kept = await cli(target, [
      "restore",
      "--table",
      table,
      "--key",
      "id=CACHE#TTL/SEC",
      "--version-id",
      older?.versionId ?? "",
      "--force",
      "--yes",
      "--keep-ttl",
    ]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toMatch(/was kept/);
    got = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    expect(got.Item?.expiresAt).toEqual({ N: expired });

    // Into another table (same key schema): the live item here is not in the way.
    const other = uniqueName("archive-other");
    await createStreamTable(clients.dynamodb, {
      TableName: other,
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    });
    const elsewhere = await cli(target, [
      "restore",
      "--table",
      table,
      "--key",
      "id=CACHE#TTL/SEC",
      "--to-table",
      other,
      "--version-id",
      `${listed.versions[1].deletedAt}_${newer?.eventId}`,
      "--json",
    ]);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(JSON.parse(elsewhere.stdout)).toMatchObject({ table, toTable: other, action: "restored" });
    const copied = await clients.dynamodb.send(new GetItemCommand({ TableName: other, Key: key, ConsistentRead: true }));
    expect(copied.Item).toEqual({ ...key, v: { N: "2" }, expiresAt: { N: future } });
  });

  it("purge asks first, then leaves no object, version or delete marker for that key", async () => {
    const prefix = keyPrefix(table, [{ name: "id", value: "CACHE#TTL/SEC" }]);
    // A plain delete in a versioned bucket leaves a delete marker over a non-current version:
    // exactly what a purge must also remove.
    const listed = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: prefix }));
    const someKey = listed.Versions?.[0]?.Key ?? "";
    await clients.s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: someKey }));
    const withMarker = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: prefix }));
    expect(withMarker.DeleteMarkers ?? []).toHaveLength(1);

    const unconfirmed = await cli(target, ["purge", "--table", table, "--key", "id=CACHE#TTL/SEC"]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("--yes");
    expect((await clients.s3.send(new ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: prefix }))).Versions ?? []).toHaveLength(
      2,
    );

    const purged = await cli(target, ["purge", "--table", table, "--key", "id=CACHE#TTL/SEC", "--yes", "--json"]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ archivedVersions: 2, objectVersions: 2, deleteMarkers: 1, remaining: 0 });
    const after = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: target.bucket, Prefix: `archive/${table}/` }));
    expect(after.Versions ?? []).toEqual([]);
    expect(after.DeleteMarkers ?? []).toEqual([]);
    const gone = await cli(target, ["purge", "--table", table, "--key", "id=CACHE#TTL/SEC", "--yes"]);
    expect(gone.code).toBe(3);
  });
});
