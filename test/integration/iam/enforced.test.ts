// Least privilege with IAM enforced: a separate moto server with its no-auth allowance set to the
// three calls that create an admin user, so every later request is authorized against IAM. Each
// role is created from its template's policy (parameters resolved), assumed through STS, and its
// real paths run with those credentials; then each statement is removed in turn and some path
// must fail. moto authorizes S3 and SQS against the resource ARN; DynamoDB, KMS, EventBridge,
// Lambda and CloudWatch Logs only against Resource "*" (their responses name no resource), so a
// resource-scoped statement for them can never match there: those statements are listed below as
// not enforced by the emulator, and the paths use admin credentials for those services; the
// recorded-call check (calls.ts) covers them. The roles and paths are in harness.ts.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BatchWriteItemCommand, UpdateContinuousBackupsCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { CreateStateMachineCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../../src/local/emulator";
import { createAuditTables } from "../../support/audit-tables";
import { loadTemplate, resource, roleStatements } from "../../support/cloudformation";
import { createStreamTable, stringKey } from "../../support/fixtures";
import { rolePolicy } from "../../support/iam-roles";
import { projectRoot } from "../../support/paths";
import { checkCalls, modelledCalls, whoCallsWhat } from "./calls";

import {
  ACCOUNT,
  archiveWrites,
  assumeRole,
  BUCKET,
  type Credentials,
  clients,
  context,
  enforced,
  log,
  made,
  ok,
  PREFIX,
  queues,
  ROLES,
  type RoleCase,
  sendTo,
  sfn,
  state,
  WHERE,
} from "./harness";

describe("every role under IAM enforcement (separate moto server)", () => {
  beforeAll(async () => {
    process.env.INITIAL_NO_AUTH_ACTION_COUNT = "3";
    try {
      state.emulator = await startEmulator({ root: projectRoot, logFile: join(projectRoot, ".trace", "moto-iam-test.log") });
    } finally {
      delete process.env.INITIAL_NO_AUTH_ACTION_COUNT;
    }
    state.admin = ok({ op: "admin" }, null) as unknown as Credentials;
    for (const name of ["export", "archive", "pipes"]) queues[name] = ok({ op: "queue", name: `${PREFIX}${name}-dlq` }) as never;
    const adminClients = clients(state.admin);
    await adminClients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // Versioned, as the base stack makes it: the export's commit names and withdraws CSV versions.
    await adminClients.s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }));
    made.trazabilidadStream = await createStreamTable(adminClients.dynamodb, { TableName: `${PREFIX}TRAZABILIDAD`, ...stringKey("id") });
    // The native export needs PITR (as the stack sets it), records of its days, and its machine.
    await adminClients.dynamodb.send(
      new UpdateContinuousBackupsCommand({
        TableName: `${PREFIX}TRAZABILIDAD`,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    );
    const record = (id: string, fecha: string) => ({ PutRequest: { Item: { id: { S: id }, fecha: { S: fecha }, estado: { S: "OK" } } } });
    await adminClients.dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [`${PREFIX}TRAZABILIDAD`]: [record("n-22", "2026-11-22T10:00:00+01:00"), record("n-23", "2026-11-23T10:00:00+01:00")],
        },
      }),
    );
    await sfn(state.admin).send(
      new CreateStateMachineCommand({
        name: `${PREFIX}trazabilidad-native-export`,
        definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Succeed" } } }),
        roleArn: `arn:aws:iam::${ACCOUNT}:role/${PREFIX}NativeExportStateMachineRole`,
      }),
    );
    const audit = await createAuditTables(adminClients.dynamodb);
    Object.assign(made, {
      configurationTable: audit.configurationTable,
      configurationStream: audit.streamArn,
      auditTable: audit.auditTable,
    });
  });
  afterAll(async () => state.emulator?.stop());

  it("is on: the admin-less, policy-less caller is denied", async () => {
    const nobody = assumeRole(`${PREFIX}nothing`, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sqs:ListQueues", Resource: "*" }],
    });
    await expect(sendTo("export")(nobody, "nobody")).rejects.toThrow(/AccessDenied|403/);
    await expect(archiveWrites(nobody, "nobody")).rejects.toThrow(/Access ?Denied/i);
  });

  for (const { stack, role, paths } of ROLES.filter((r) => r.paths.length)) {
    it(`${role}: every path passes with the template's policy`, async () => {
      const credentials = assumeRole(`${PREFIX}${role}`, rolePolicy(stack, role, context()));
      state.recording = log;
      try {
        for (const path of paths) await path(credentials, role);
      } finally {
        state.recording = undefined;
      }
    });

    it(`${role}: removing any enforced statement makes some path fail`, async () => {
      const policy = rolePolicy(stack, role, context());
      const statements = policy.Statement.filter(enforced);
      expect(statements.length).toBeGreaterThan(0);
      for (const removed of statements) {
        const credentials = assumeRole(`${PREFIX}${role}`, { ...policy, Statement: policy.Statement.filter((s) => s !== removed) });
        const results = await Promise.allSettled(paths.map((path) => path(credentials, role)));
        const denied = results.filter((r) => r.status === "rejected" && /denied|403/i.test(String(r.reason)));
        expect(denied.length, `${role} without ${removed.Sid} still passes every path`).toBeGreaterThan(0);
      }
    });
  }

  it("a role without paths has no statement moto would enforce (its calls are modelled, calls.ts)", () => {
    const pathless = ROLES.filter((r) => !r.paths.length);
    expect(pathless.map((r) => r.role)).toEqual(["DrillStateMachineRole", "DrillSchedulerRole"]);
    for (const { stack, role } of pathless) expect(rolePolicy(stack, role, context()).Statement.filter(enforced), role).toEqual([]);
  });

  it("names the statements moto cannot enforce (covered by the template checks, not here)", () => {
    const unenforced = ROLES.flatMap(({ stack, role }) =>
      rolePolicy(stack, role, context())
        .Statement.filter((s) => !enforced(s))
        .map((s) => `${role}.${s.Sid}`),
    );
    expect(unenforced).toEqual([
      "StamperRole.ReadTrazabilidadStream",
      "StamperRole.StampDayAttribute",
      "StamperRole.UseDataKey",
      "StamperRole.WriteOwnLogs",
      "StamperSchedulerRole.InvokeStamperOnly",
      "StamperSchedulerRole.EncryptedDeadLetterQueue",
      "ExportRole.ReadTrazabilidad",
      "ExportRole.QueryDayIndex",
      "ExportRole.DecryptTrazabilidad",
      "ExportRole.UseDataKey",
      "ExportRole.HandBigDaysToNativeExport",
      "ExportRole.WriteOwnLogs",
      "SchedulerRole.InvokeExportOnly",
      "SchedulerRole.EncryptedDeadLetterQueue",
      "NativeExportRole.ExportTrazabilidad",
      "NativeExportRole.FollowItsExports",
      "NativeExportRole.UseDataKey",
      "NativeExportRole.WriteOwnLogs",
      "NativeExportStateMachineRole.InvokeWorker",
      "NativeExportStateMachineRole.MapChildWorkflows",
      "NativeExportStateMachineRole.MapChildWorkflowRuns",
      "NativeExportStateMachineRole.UseDataKey",
      "NativeExportStateMachineRole.SendTracesToXRay",
      "NativeExportStateMachineRole.LogDeliveriesTakeNoResource",
      "AuditProducerRole.ReadConfigurationStream",
      "AuditProducerRole.ListStreamsTakesNoResource",
      "AuditProducerRole.PutAuditEntries",
      "AuditProducerRole.UseTableKey",
      "AuditProducerRole.EncryptFailedBatches",
      "AuditProducerRole.WriteOwnLogs",
      "ArchiverRole.EncryptWithDataKey",
      "ArchiverRole.ReadKeySchemaOfArchivedTables",
      "ArchiverRole.EncryptedDeadLetterQueueAndClaims",
      "ArchiverRole.WriteOwnLogs",
      "PipeRole.ReadArchivedStreams",
      "PipeRole.ListStreamsTakesNoResource",
      "PipeRole.DecryptArchivedStreams",
      "PipeRole.PutOnArchiveBus",
      "PipeRole.EnrichWithClaimChecks",
      "PipeRole.EncryptedDeadLetterQueue",
      "ClaimCheckRole.EncryptWithDataKey",
      "ClaimCheckRole.WriteOwnLogs",
      "RedriveRole.ReadFailedRecordsFromStreams",
      "RedriveRole.ReadKeySchemaOfArchivedTables",
      "RedriveRole.UseDataKey",
      "RedriveRole.WriteOwnLogs",
      "DrillRole.ReadTheSource",
      "DrillRole.RestoreTheSource",
      "DrillRole.RestoreIntoScratchTablesOnly",
      "DrillRole.RestoredTableUsesTheDataKey",
      "DrillRole.EncryptWithDataKey",
      "DrillRole.WriteOwnLogs",
      "DrillStateMachineRole.InvokeWorker",
      "DrillStateMachineRole.UseDataKey",
      "DrillStateMachineRole.SendTracesToXRay",
      "DrillStateMachineRole.LogDeliveriesTakeNoResource",
      "DrillSchedulerRole.StartTheDrill",
    ]);
  });

  it("every recorded and modelled call is allowed by its principal's policy and the key policy; none is unused", () => {
    const calls = [...log.calls, ...modelledCalls(context(), WHERE)];
    const policies = Object.fromEntries(ROLES.map(({ stack, role }) => [role, rolePolicy(stack, role, context())]));
    expect(checkCalls(calls, policies, context(), ACCOUNT)).toEqual({ denied: [], unused: [] });
  });

  it("docs/proofs.md's 'Who calls what (generated)' table is the recorded list", () => {
    const calls = [...log.calls, ...modelledCalls(context(), WHERE)];
    const policies = Object.fromEntries(ROLES.map(({ stack, role }) => [role, rolePolicy(stack, role, context())]));
    const raw = (role: string, sid: string) => {
      const found = ROLES.find((r) => r.role === role) as RoleCase;
      return roleStatements(resource(loadTemplate(found.stack), role)).find((s: { Sid: string }) => s.Sid === sid);
    };
    const table = whoCallsWhat(calls, policies, context(), ACCOUNT, raw);
    const readme = join(projectRoot, "docs", "proofs.md");
    const current = readFileSync(readme, "utf8");
    const updated = replaceSection(current, table);
    if (process.env.UPDATE_CALL_TABLE) writeFileSync(readme, updated);
    else expect(current, "docs/proofs.md's table is stale: run `npm run docs:calls`").toBe(updated);
  });
});

const BEGIN = "<!-- who-calls-what:begin (generated by `npm run docs:calls`; do not edit) -->";
const END = "<!-- who-calls-what:end -->";

function replaceSection(readme: string, table: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < 0) throw new Error("docs/proofs.md has no who-calls-what markers");
  return `${readme.slice(0, start + BEGIN.length)}\n${table}${readme.slice(end)}`;
}
