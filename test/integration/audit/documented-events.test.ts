// audit_producer fed the DynamoDB stream events AWS documents (test/fixtures/aws-events), against
// the emulator's Audit table: what the deployed mapping would deliver, not what our wrapper builds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler } from "../../../lambda/audit-producer";
import { silentReporter } from "../../../src/core/reporter";
import { type AuditFixture, createAuditTables, fromAuditItem, scanAudit } from "../../support/audit-tables";
import { adapt, documentedRemoveRecord, documentedStreamEvent } from "../../support/aws-events";
import { emulatorClients } from "../../support/emulator";
import { recordingReporter } from "../../support/recording-reporter";

describe("audit_producer on AWS's documented stream records", () => {
  const clients = emulatorClients();
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditTables(clients.dynamodb);
  });
  afterAll(() => clients.destroy());

  it("audits the documented INSERT, MODIFY and REMOVE, with the number key and the record's time", async () => {
    const at = 1_795_000_000;
    const [insert, modify] = documentedStreamEvent().Records;
    const records = [insert, modify, documentedRemoveRecord()].map((r) => adapt(r as never, { at, keyName: "key" }));
    const handler = createHandler({ dynamodb: clients.dynamodb, auditTableName: fixture.auditTable, reporter: silentReporter });
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });

    const entries = (await scanAudit(clients.dynamodb, fixture.auditTable)).map(fromAuditItem);
    const time = new Date(at * 1000).toISOString();
    const byKind = (has: (e: (typeof entries)[number]) => boolean) => entries.filter(has);
    expect(entries.every((e) => e.itemKey === "101" && e.modificationTime === time)).toBe(true);
    expect(byKind((e) => e.oldValue === undefined)).toEqual([
      expect.objectContaining({ newValue: { M: { Message: { S: "New item!" }, key: { N: "101" } } } }),
    ]);
    expect(byKind((e) => e.updatedAttribute !== undefined)).toEqual([
      expect.objectContaining({ updatedAttribute: "Message", oldValue: { S: "New item!" }, newValue: { S: "This item has changed" } }),
    ]);
    expect(byKind((e) => e.newValue === undefined)).toEqual([
      expect.objectContaining({ oldValue: { M: { Message: { S: "This item has changed" }, key: { N: "101" } } } }),
    ]);
    expect(entries).toHaveLength(3);
  });

  it("reports a documented record as failed, naming the field, when it lacks ApproximateCreationDateTime (as the abbreviated samples do)", async () => {
    const [insert] = documentedStreamEvent().Records;
    const record = adapt(insert as never, { keyName: "key" });
    delete record.dynamodb?.ApproximateCreationDateTime;
    const reporter = recordingReporter();
    const handler = createHandler({
      dynamodb: clients.dynamodb,
      auditTableName: fixture.auditTable,
      reporter,
      throwOnFullBatchFailure: false,
    });
    expect(await handler({ Records: [record] })).toEqual({ batchItemFailures: [{ itemIdentifier: "111" }] });
    expect(reporter.warnings[0]?.data?.error).toMatch(/ApproximateCreationDateTime/);
  });
});
