// The audit trail end to end against the emulator: real writes to a Configuration table, the
// emulator's real stream records, the deployed handler code, the Audit table, and the built CLI.
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../../lambda/audit-producer";
import type { AuditEntry } from "../../../src/core/audit/entries";
import type { Reporter } from "../../../src/core/reporter";
import { silentReporter } from "../../../src/core/reporter";
import { readStream } from "../../../src/local/streams";
import { type AuditFixture, createAuditTables, fromAuditItem, HISTORY_INDEX, scanAudit } from "../../support/audit-tables";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEndpoint, emulatorEnv } from "../../support/emulator";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BIG = "12345678901234567890123456789012345678";
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recordingReporter() {
  const logs: { level: string; message: string; data?: Record<string, unknown> }[] = [];
  const reporter: Reporter = {
    ...silentReporter,
    info: (message, data) => logs.push({ level: "info", message, ...(data ? { data } : {}) }),
    warn: (message, data) => logs.push({ level: "warn", message, ...(data ? { data } : {}) }),
  };
  return { reporter, logs };
}

const isoOf = (record: DynamoDBRecord | undefined) => new Date((record?.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000).toISOString();

describe("audit_producer on the emulator's real stream records", () => {
  const clients = emulatorClients();
  let fixture: AuditFixture;
  let records: DynamoDBRecord[];
  const cli = (...args: string[]) =>
    runCli(["audit", ...args, "--audit-table", fixture.auditTable, "--index", HISTORY_INDEX, "--endpoint-url", emulatorEndpoint()], {
      env: emulatorEnv(),
    });

  beforeAll(async () => {
    fixture = await createAuditTables(clients.dynamodb);
    const table = fixture.configurationTable;
    const send = clients.dynamodb.send.bind(clients.dynamodb);
    const setValue = (value: string) =>
      send(
        new UpdateItemCommand({
          TableName: table,
          Key: { key: { S: "CACHE_TTL_SEC" } },
          UpdateExpression: "SET #v = :v",
          ExpressionAttributeNames: { "#v": "value" },
          ExpressionAttributeValues: { ":v": { N: value } },
        }),
      );
    // A pause between writes: the stream's creation time has whole-second precision, and the
    // history is ordered by it.
    await send(new PutItemCommand({ TableName: table, Item: { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } } }));
    await pause(1100);
    await setValue("1800");
    await pause(1100);
    await setValue("1800"); // changes nothing
    await pause(1100);
    await send(
      new UpdateItemCommand({
        TableName: table,
        Key: { key: { S: "CACHE_TTL_SEC" } },
        UpdateExpression: "SET limits = :l",
        ExpressionAttributeValues: { ":l": { M: { daily: { N: "10" }, regions: { SS: ["eu", "us"] } } } },
      }),
    );
    await pause(1100);
    await send(new DeleteItemCommand({ TableName: table, Key: { key: { S: "CACHE_TTL_SEC" } } }));
    await send(
      new PutItemCommand({
        TableName: table,
        Item: { key: { S: "PRECISION" }, big: { N: BIG }, nested: { M: { a: { L: [{ N: BIG }] } } } },
      }),
    );
    ({ records } = await readStream(clients.streams, fixture.streamArn));
  });
  afterAll(() => clients.destroy());

  it("reads every write as a stream record (the emulator emits one even for the no-op update)", () => {
    expect(records.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "MODIFY", "MODIFY", "REMOVE", "INSERT"]);
  });

  it("writes exactly the contract's entries, and a replay of the batch writes nothing new", async () => {
    const { reporter, logs } = recordingReporter();
    const handler = createHandler({ dynamodb: clients.dynamodb, auditTableName: fixture.auditTable, reporter });
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });

    const items = await scanAudit(clients.dynamodb, fixture.auditTable);
    const [put, update, , addMap, remove, precision] = records;
    const expected: Omit<AuditEntry, "id">[] = [
      { itemKey: "CACHE_TTL_SEC", modificationTime: isoOf(put), newValue: { M: { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } } } },
      {
        itemKey: "CACHE_TTL_SEC",
        modificationTime: isoOf(update),
        updatedAttribute: "value",
        oldValue: { N: "3600" },
        newValue: { N: "1800" },
      },
      {
        itemKey: "CACHE_TTL_SEC",
        modificationTime: isoOf(addMap),
        updatedAttribute: "limits",
        newValue: { M: { daily: { N: "10" }, regions: { SS: ["eu", "us"] } } },
      },
      {
        itemKey: "CACHE_TTL_SEC",
        modificationTime: isoOf(remove),
        oldValue: {
          M: { key: { S: "CACHE_TTL_SEC" }, value: { N: "1800" }, limits: { M: { daily: { N: "10" }, regions: { SS: ["eu", "us"] } } } },
        },
      },
      {
        itemKey: "PRECISION",
        modificationTime: isoOf(precision),
        newValue: { M: { key: { S: "PRECISION" }, big: { N: BIG }, nested: { M: { a: { L: [{ N: BIG }] } } } } },
      },
    ];
    const entries = items.map(fromAuditItem).sort((a, b) => (a.itemKey + a.modificationTime).localeCompare(b.itemKey + b.modificationTime));
    expect(entries.map(({ id: _id, ...rest }) => rest)).toEqual(expected);
    for (const entry of entries) expect(entry.id).toMatch(UUID_V4);
    // Absent means absent: no NULL placeholders in the items.
    for (const item of items) for (const value of Object.values(item)) expect(value.NULL).toBeUndefined();
    expect(logs.at(-1)).toMatchObject({
      message: "batch processed",
      data: { records: 6, failed: 0, entries: 5, written: 5, duplicates: 0 },
    });

    // At-least-once delivery: the same records again create nothing.
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
    const again = await scanAudit(clients.dynamodb, fixture.auditTable);
    expect(again).toHaveLength(5);
    expect(new Set(again.map((i) => i.id?.S))).toEqual(new Set(items.map((i) => i.id?.S)));
    expect(logs.at(-1)).toMatchObject({ data: { written: 0, duplicates: 5 } });
  });

  it("`trace audit show` prints the timeline newest first, and --json returns the entries", async () => {
    const human = await cli("show", "CACHE_TTL_SEC");
    expect(human.stderr).toBe("");
    expect(human.code).toBe(0);
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^time\s+change\s+attribute\s+old → new$/);
    const heads = lines.filter((l) => /^\d{4}-/.test(l)).map((l) => l.split(/\s{2,}/).slice(1, 4));
    expect(heads).toEqual([
      ["deleted", "(item)"],
      ["added", "limits"],
      ["changed", "value", "3600 → 1800"],
      ["created", "(item)"],
    ]);
    // Maps read as a diff of their inner keys.
    expect(human.stdout).toMatch(/\+ daily: 10\n\s+\+ regions: set\["eu", "us"\]/);
    expect(human.stdout).toMatch(/- key: "CACHE_TTL_SEC"\n\s+- limits: \{daily: 10, regions: set\["eu", "us"\]\}\n\s+- value: 1800/);

    const json = await cli("show", "CACHE_TTL_SEC", "--json");
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.map((e: { modificationTime: string }) => e.modificationTime)).toEqual(
      [records[4], records[3], records[1], records[0]].map(isoOf),
    );
    expect(parsed[2]).toEqual({
      id: expect.stringMatching(UUID_V4),
      itemKey: "CACHE_TTL_SEC",
      modificationTime: isoOf(records[1]),
      updatedAttribute: "value",
      oldValue: 3600,
      newValue: 1800,
    });
    expect(parsed[3]).toEqual({
      id: expect.stringMatching(UUID_V4),
      itemKey: "CACHE_TTL_SEC",
      modificationTime: isoOf(records[0]),
      newValue: { key: "CACHE_TTL_SEC", value: 3600 },
    });

    // 38 digits survive the table, the index and the JSON text.
    const precision = await cli("show", "PRECISION", "--json");
    expect(precision.stdout).toContain(`"big": ${BIG}`);
    expect(precision.stdout).toMatch(new RegExp(`"a": \\[\\s*${BIG}\\s*\\]`));
  });

  it("--since, --until and --limit narrow the history; bad values exit 2; no history exits 3", async () => {
    const limited = JSON.parse((await cli("show", "CACHE_TTL_SEC", "--json", "--limit", "2")).stdout);
    expect(limited.map((e: { modificationTime: string }) => e.modificationTime)).toEqual([isoOf(records[4]), isoOf(records[3])]);
    const window = JSON.parse(
      (await cli("show", "CACHE_TTL_SEC", "--json", "--since", isoOf(records[1]), "--until", isoOf(records[3]))).stdout,
    );
    // --until is exclusive (README, "Time bounds"): the change made at records[3]'s time is left out.
    expect(window.map((e: { updatedAttribute?: string }) => e.updatedAttribute)).toEqual(["value"]);

    const badSince = await cli("show", "CACHE_TTL_SEC", "--since", "yesterday");
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since "yesterday" is not a date or date-time');
    const badLimit = await cli("show", "CACHE_TTL_SEC", "--limit", "0");
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit "0"');

    const none = await cli("show", "NO_SUCH_KEY");
    expect(none.code).toBe(3);
    expect(none.stdout).toBe("");
    expect(none.stderr).toContain('no audit history for key "NO_SUCH_KEY"');
    const outside = await cli("show", "CACHE_TTL_SEC", "--until", "2001-01-01");
    expect(outside.code).toBe(3);
  });

  it("`trace audit keys` lists each audited key with its change count and last change", async () => {
    const json = await cli("keys", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      { itemKey: "CACHE_TTL_SEC", changes: 4, lastChange: isoOf(records[4]) },
      { itemKey: "PRECISION", changes: 1, lastChange: isoOf(records[5]) },
    ]);
    const human = await cli("keys");
    expect(human.stdout).toMatch(/^key\s+changes\s+last change\nCACHE_TTL_SEC\s+4\s+\S+\nPRECISION\s+1\s+\S+\n$/);
  });
});

describe("audit_producer partial batch failures", () => {
  const clients = emulatorClients();
  afterAll(() => clients.destroy());

  it("reports exactly the record whose entry cannot be written (too large for the Audit table)", async () => {
    const fixture = await createAuditTables(clients.dynamodb);
    const put = (key: string, extra: Record<string, { S: string }> = {}) =>
      clients.dynamodb.send(new PutItemCommand({ TableName: fixture.configurationTable, Item: { key: { S: key }, ...extra } }));
    await put("BEFORE");
    // Fits the emulator's item limit (405,000 bytes by its count) in Configuration, but its audit
    // entry (the whole item plus id, itemKey and modificationTime) does not fit in Audit.
    await put("BIG", { value: { S: "x".repeat(404_980) } });
    await put("AFTER");
    const { records } = await readStream(clients.streams, fixture.streamArn);
    expect(records.map((r) => r.dynamodb?.Keys?.key?.S)).toEqual(["BEFORE", "BIG", "AFTER"]);

    const { reporter, logs } = recordingReporter();
    const handler = createHandler({ dynamodb: clients.dynamodb, auditTableName: fixture.auditTable, reporter });
    const response = await handler({ Records: records });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }] });
    const written = (await scanAudit(clients.dynamodb, fixture.auditTable)).map((i) => i.itemKey?.S).sort();
    expect(written).toEqual(["AFTER", "BEFORE"]);
    expect(logs.find((l) => l.level === "warn")).toMatchObject({
      message: "record failed",
      data: { eventID: records[1]?.eventID, sequenceNumber: records[1]?.dynamodb?.SequenceNumber },
    });
  });

  it("reports exactly the record hit by a fault, and its retry completes without touching the others", async () => {
    const fixture = await createAuditTables(clients.dynamodb);
    for (const key of ["A", "FLAKY", "C"]) {
      await clients.dynamodb.send(new PutItemCommand({ TableName: fixture.configurationTable, Item: { key: { S: key } } }));
    }
    const { records } = await readStream(clients.streams, fixture.streamArn);
    // A client of our own with a middleware that throttles the writes of one key, once.
    const faulty = emulatorClients();
    let faults = 0;
    faulty.dynamodb.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Item?: { itemKey?: { S?: string } } };
        if (input.Item?.itemKey?.S === "FLAKY" && faults === 0) {
          faults++;
          throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), { name: "ThrottlingException" });
        }
        return next(args);
      },
      { step: "initialize", name: "injectThrottle" },
    );
    const handler = createHandler({ dynamodb: faulty.dynamodb, auditTableName: fixture.auditTable, reporter: silentReporter });
    const first = await handler({ Records: records });
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    expect((await scanAudit(clients.dynamodb, fixture.auditTable)).map((i) => i.itemKey?.S).sort()).toEqual(["A", "C"]);

    // Lambda retries from the failed record on: it and the ones after it, never the ones before.
    const retry = await handler({ Records: records.slice(1) });
    expect(retry.batchItemFailures).toEqual([]);
    expect((await scanAudit(clients.dynamodb, fixture.auditTable)).map((i) => i.itemKey?.S).sort()).toEqual(["A", "C", "FLAKY"]);
    faulty.destroy();
  });

  it("an entry already present is left as it was (conditional write), not overwritten", async () => {
    const fixture = await createAuditTables(clients.dynamodb);
    await clients.dynamodb.send(new PutItemCommand({ TableName: fixture.configurationTable, Item: { key: { S: "K" }, v: { N: "1" } } }));
    const { records } = await readStream(clients.streams, fixture.streamArn);
    const handler = createHandler({ dynamodb: clients.dynamodb, auditTableName: fixture.auditTable, reporter: silentReporter });
    await handler({ Records: records });
    const [item] = await scanAudit(clients.dynamodb, fixture.auditTable);
    const key = { id: item?.id ?? { S: "" } };
    // Mark the stored entry; a replay must not replace it.
    await clients.dynamodb.send(new PutItemCommand({ TableName: fixture.auditTable, Item: { ...item, marker: { S: "kept" } } }));
    await handler({ Records: records });
    const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: fixture.auditTable, Key: key }));
    expect(Item?.marker).toEqual({ S: "kept" });
  });
});
