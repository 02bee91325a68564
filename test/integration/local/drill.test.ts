// `trace drill` on the emulator, driven as a user would: the demo's TRAZABILIDAD restored, checked
// and removed; a restore damaged on purpose (an item changed, an item deleted) failing and naming
// the item; a backup restore whose source moved on; and the refusals. moto restores a table to a
// point in time by copying it as it is now, and a backup as it was when taken (docs/recovery.md).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBackupCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AwsClients } from "../../../src/core/aws/clients";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import type { DrillReport } from "../../../src/core/drill/report";
import { freePort } from "../../../src/local/emulator";
import { runCli } from "../../support/cli";

const TABLE = "local-TRAZABILIDAD";
const env = { TRACE_STATE_DIR: mkdtempSync(join(tmpdir(), "trace-drill-")), TRACE_LOCAL_PORT: "" };
const trace = (args: string[]) => runCli(["--local", ...args], { env });
const report = (stdout: string) => JSON.parse(stdout) as DrillReport;
let clients: AwsClients;

async function tables(): Promise<string[]> {
  return (await clients.dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
}

beforeAll(async () => {
  env.TRACE_LOCAL_PORT = String(await freePort());
  const demo = await runCli(["local", "demo", "--records", "40", "--json"], { env });
  expect(demo.code, demo.stderr).toBe(0);
  const endpoint = JSON.parse(demo.stdout).endpoint as string;
  clients = createAwsClients({ region: "us-east-1", endpointUrl: endpoint, credentials: EMULATOR_CREDENTIALS }, more);
}, 300_000);

afterAll(async () => {
  clients?.destroy();
  await runCli(["local", "stop"], { env });
});

describe("trace drill on the demo's TRAZABILIDAD", () => {
  it("restores it to the instant it read it, finds every item and the day identical, reports RPO and RTO, and removes the scratch table", async () => {
    const result = await trace(["drill", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const r = report(result.stdout);
    expect(r).toMatchObject({
      schemaVersion: 1,
      table: TABLE,
      region: "us-east-1",
      reference: "source-before-restore",
      passed: true,
      scratch: "deleted",
    });
    expect(r.source).toEqual({ kind: "pitr", recoveryPoint: null, where: "point-in-time recovery" });
    expect(r.scratchTable).toMatch(/^local-TRAZABILIDAD-drill-\d{14}$/);
    expect(r.counts).toEqual({ source: 40, restored: 40, identical: 40 });
    expect(r.differences).toEqual([]);
    expect(r.checks.map((c) => [c.name, c.passed])).toEqual([
      ["restore", true],
      ["count", true],
      ["items", true],
      ["day-export", true],
    ]);
    // RPO: from PITR's LatestRestorableDateTime (moto freezes it at the moment PITR was turned on).
    expect(r.rpo.seconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(r.rpo.newestRecoverable ?? "")).toBeLessThanOrEqual(Date.parse(r.restorePoint));
    expect(r.rto.seconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(r.rto.activeAt ?? "")).toBeGreaterThanOrEqual(Date.parse(r.rto.startedAt ?? ""));
    // The day the demo exported: its manifest, the source's export today and the restore's, all one sha256.
    expect(r.day?.manifest.rows).toBe(40);
    expect(r.day?.source.sha256).toBe(r.day?.manifest.sha256);
    expect(r.day?.restored).toEqual(r.day?.source);
    expect(r.day?.sourceMatchesManifest).toBe(true);
    expect(await tables()).not.toContain(r.scratchTable);
    expect((await tables()).filter((t) => t.includes("-drill-"))).toEqual([]);
  });

  it("prints the recovery, RPO, RTO and one line per check for people, on stdout", async () => {
    const result = await trace(["drill"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Drill of local-TRAZABILIDAD \(us-east-1\) from point-in-time recovery/);
    expect(result.stdout).toMatch(/RPO achieved {3}\S/);
    expect(result.stdout).toMatch(/RTO measured {3}\S/);
    for (const check of ["restore", "count", "items", "day-export"]) expect(result.stdout).toMatch(new RegExp(`^${check} +ok `, "m"));
    expect(result.stdout).toMatch(/PASSED in .*; scratch table local-TRAZABILIDAD-drill-\d{14} deleted/);
  });
});

describe("a damaged restore", () => {
  let scratch = "";
  let changed = "";
  // The demo dates its records across the whole business day, later ones in the future; a record
  // dated in the past is one no rule can take for a write after the restore point.
  const deleted = "DRILL-PAST-1";

  beforeAll(async () => {
    const past = { id: { S: deleted }, fecha: { S: new Date(Date.now() - 86_400_000).toISOString() }, estado: { S: "ENTREGADO" } };
    await clients.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: past }));
    const kept = await trace(["drill", "--keep", "--json"]);
    expect(kept.code, kept.stderr).toBe(0);
    scratch = report(kept.stdout).scratchTable;
    expect(report(kept.stdout).scratch).toBe("kept");
    const { Items } = await clients.dynamodb.send(new ScanCommand({ TableName: scratch, Limit: 5 }));
    changed = Items?.find((i) => i.id?.S !== deleted)?.id?.S ?? "";
    expect(changed).not.toBe("");
    await clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: scratch,
        Key: { id: { S: changed } },
        UpdateExpression: "SET estado = :e",
        ExpressionAttributeValues: { ":e": { S: "DAÑADO" } },
      }),
    );
  });

  afterAll(async () => {
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: TABLE, Key: { id: { S: deleted } } }));
  });

  it("fails (exit 1) and names the changed item and the attribute, in the items and the day's export", async () => {
    const result = await trace(["drill", "--restored", scratch, "--json"]);
    expect(result.code, result.stderr).toBe(1);
    const r = report(result.stdout);
    expect(r.passed).toBe(false);
    expect(r.reference).toBe("source-now");
    expect(r.differences).toEqual([{ key: JSON.stringify({ id: changed }), kind: "changed", attributes: ["estado"] }]);
    expect(r.checks.find((c) => c.name === "items")).toMatchObject({ passed: false, summary: expect.stringContaining(changed) });
    expect(r.checks.find((c) => c.name === "count")?.passed).toBe(true);
    expect(r.day?.differingRows).toEqual([changed]);
    expect(r.checks.find((c) => c.name === "day-export")).toMatchObject({ passed: false, summary: expect.stringContaining(changed) });
    // --restored never deletes a table it did not make.
    expect(r.scratch).toBe("kept");
    expect(await tables()).toContain(scratch);
  });

  it("names an item missing from the restore, and says so to people too", async () => {
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: scratch, Key: { id: { S: deleted } } }));
    const result = await trace(["drill", "--restored", scratch]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^count +FAILED .*1 missing or extra: \{"id":"[^"]+"\}/m);
    expect(result.stdout).toContain(`{"id":"${deleted}"}  missing from the restore`);
    expect(result.stdout).toContain(`{"id":"${changed}"}  changed: estado`);
    expect(result.stdout).toMatch(/^FAILED in /m);
  });
});

describe("a drill of a backup, and the refusals", () => {
  it("restores the newest backup and compares it with the source as it is now: a later write is accounted for, an old-dated one is named", async () => {
    const backup = await clients.dynamodb.send(new CreateBackupCommand({ TableName: TABLE, BackupName: "drill-test" }));
    const late = { id: { S: "LATE-1" }, fecha: { S: new Date(Date.now() + 3_600_000).toISOString() }, estado: { S: "NUEVO" } };
    const old = { id: { S: "OLD-1" }, fecha: { S: "2026-01-05T10:00:00Z" }, estado: { S: "NUEVO" } };
    for (const Item of [late, old]) await clients.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item }));
    try {
      const result = await trace(["drill", "--from", "backup", "--json"]);
      expect(result.code, result.stderr).toBe(1);
      const r = report(result.stdout);
      expect(r.source).toMatchObject({ kind: "dynamodb-backup", recoveryPoint: backup.BackupDetails?.BackupArn });
      expect(r.restorePoint).toBe(new Date(backup.BackupDetails?.BackupCreationDateTime as Date).toISOString());
      expect(r.explained).toEqual([
        { key: '{"id":"LATE-1"}', kind: "missing", explained: expect.stringMatching(/^written after the restore point/) },
      ]);
      expect(r.differences).toEqual([{ key: '{"id":"OLD-1"}', kind: "missing" }]);
      expect(r.counts).toMatchObject({ source: 42, restored: 40 });
      expect(r.scratch).toBe("deleted");
    } finally {
      for (const id of ["LATE-1", "OLD-1"])
        await clients.dynamodb.send(new DeleteItemCommand({ TableName: TABLE, Key: { id: { S: id } } }));
    }
  });

  it("refuses what cannot be drilled, with the fix: no PITR (exit 3), bad flags (exit 2), nothing created", async () => {
    const bare = "drill-no-pitr";
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: bare,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
    const before = await tables();
    const noPitr = await trace(["drill", bare]);
    expect(noPitr.code).toBe(3);
    expect(noPitr.stderr).toContain(`point-in-time recovery is off on ${bare}`);
    expect(noPitr.stderr).toContain("update-continuous-backups");
    const usage: [string[], RegExp][] = [
      [["drill", "--from", "pitr", "--dr-region", "eu-central-1"], /point-in-time recovery restores in the table's own region/],
      [["drill", "--at", "2999-01-01T00:00:00Z"], /--at 2999-01-01T00:00:00.000Z is not in the past/],
      [["drill", "--at", "yesterday"], /--at "yesterday" is not an ISO-8601 date-time/],
      [["drill", "--from", "snapshot"], /--from "snapshot" is not a recovery source/],
      [["drill", "--restored", "x", "--keep"], /--restored checks a table that is already restored/],
      [["drill", "--dr-region"], /--dr-region without a region needs the environment's drRegion/],
      [["drill", "--restored", TABLE], /is not a restore of local-TRAZABILIDAD/],
    ];
    for (const [args, message] of usage) {
      const result = await trace(args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await tables()).toEqual(before);
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.ItemCount ?? 40).toBeGreaterThan(0);
  });
});
