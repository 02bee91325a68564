// Reading the trail through the GSI against the emulator, with tiny pages so that pagination is
// really exercised (a real table pages at 1 MB).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../../lambda/audit-producer";
import { listAuditedKeys, readAuditHistory } from "../../../src/core/audit/history";
import { silentReporter } from "../../../src/core/reporter";
import { createAuditTables, HISTORY_INDEX } from "../../support/audit-tables";
import { emulatorClients } from "../../support/emulator";
import { insertRecord, modifyRecord } from "../../support/stream-records";

const T0 = 1_795_451_422;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

describe("audit history through the GSI, paginated", () => {
  const clients = emulatorClients();
  let tables: { tableName: string; indexName: string };

  beforeAll(async () => {
    const fixture = await createAuditTables(clients.dynamodb);
    tables = { tableName: fixture.auditTable, indexName: HISTORY_INDEX };
    const records = [
      insertRecord({ key: { S: "A" }, v: { N: "0" } }, { at: T0 }),
      ...Array.from({ length: 6 }, (_, i) =>
        modifyRecord({ key: { S: "A" }, v: { N: String(i) } }, { key: { S: "A" }, v: { N: String(i + 1) } }, { at: T0 + 10 * (i + 1) }),
      ),
      insertRecord({ key: { S: "B" }, v: { N: "0" } }, { at: T0 + 5 }),
      modifyRecord({ key: { S: "B" }, v: { N: "0" } }, { key: { S: "B" }, v: { N: "1" }, w: { S: "new" } }, { at: T0 + 100 }),
    ];
    const handler = createHandler({ dynamodb: clients.dynamodb, auditTableName: tables.tableName, reporter: silentReporter });
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
  });
  afterAll(() => clients.destroy());

  it("returns a key's whole history newest first across pages", async () => {
    const entries = await readAuditHistory(clients.dynamodb, { ...tables, pageSize: 2, itemKey: "A" });
    expect(entries.map((e) => e.modificationTime)).toEqual([60, 50, 40, 30, 20, 10, 0].map((s) => iso(T0 + s)));
    expect(entries.at(-1)?.newValue).toEqual({ M: { key: { S: "A" }, v: { N: "0" } } });
  });

  it("stops at the limit even when it falls inside a page, and honours the window", async () => {
    const limited = await readAuditHistory(clients.dynamodb, { ...tables, pageSize: 2, itemKey: "A", limit: 3 });
    expect(limited.map((e) => e.newValue?.N)).toEqual(["6", "5", "4"]);
    const window = await readAuditHistory(clients.dynamodb, {
      ...tables,
      pageSize: 2,
      itemKey: "A",
      since: iso(T0 + 20),
      until: iso(T0 + 40),
    });
    expect(window.map((e) => e.newValue?.N)).toEqual(["4", "3", "2"]);
  });

  it("counts every key's entries and finds its last change across pages", async () => {
    const keys = await listAuditedKeys(clients.dynamodb, { ...tables, pageSize: 2 }, silentReporter);
    expect(keys).toEqual([
      { itemKey: "A", changes: 7, lastChange: iso(T0 + 60) },
      { itemKey: "B", changes: 3, lastChange: iso(T0 + 100) },
    ]);
  });

  it("names a missing table and exits 3", async () => {
    await expect(
      readAuditHistory(clients.dynamodb, { tableName: "no-such-audit", indexName: HISTORY_INDEX, itemKey: "A" }),
    ).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining("no-such-audit"),
    });
  });
});
