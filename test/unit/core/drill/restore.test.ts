// Restores that the emulator cannot show: a point-in-time restore whose time is not restorable yet
// (DynamoDB answers InvalidRestoreTimeException until LatestRestorableDateTime, typically 5 minutes
// behind, passes it), and AWS Backup's restore job of a copy in the DR region, with the responses of
// AWS's API reference (test/fixtures/aws-responses/backup.ts).
import { describe, expect, it, vi } from "vitest";
import { startRestore, waitForRestore } from "../../../../src/core/drill/restore";
import {
  DR_KEY_ARN,
  DR_VAULT,
  JOB_ID,
  NEWEST_COPY,
  RESTORE_ROLE_ARN,
  restoreJob,
  restoreMetadata,
  startRestoreJob,
} from "../../../fixtures/aws-responses/backup";

type Command = { constructor: { name: string }; input: Record<string, unknown> };
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

function scripted(replies: Record<string, (input: Record<string, unknown>, call: number) => unknown>) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  const counts = new Map<string, number>();
  const send = vi.fn(async (command: Command) => {
    const name = command.constructor.name.replace(/Command$/, "");
    calls.push({ name, input: command.input });
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    const reply = replies[name];
    if (!reply) throw new Error(`unexpected ${name}`);
    return reply(command.input, n);
  });
  return { client: { send } as never, calls };
}

const progress = { update() {}, succeed() {}, fail() {}, stop() {} };
const signal = new AbortController().signal;
const fast = { pollMs: 1, maxPollMs: 1, retryMs: 1 };

describe("a point-in-time restore", () => {
  const at = new Date("2026-11-24T12:00:00Z");
  const invalid = () => {
    throw awsError(
      "InvalidRestoreTimeException",
      "RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime",
    );
  };

  it("retries while the restore time is not restorable yet, then starts it with that exact time", async () => {
    const dynamodb = scripted({ RestoreTableToPointInTime: (_input, n) => (n < 2 ? invalid() : { TableDescription: {} }) });
    await startRestore({ dynamodb: dynamodb.client }, { kind: "pitr", restoreDateTime: at }, "prod-TRAZABILIDAD", "scratch", signal, fast);
    expect(dynamodb.calls).toHaveLength(3);
    expect(dynamodb.calls[2]?.input).toEqual({ SourceTableName: "prod-TRAZABILIDAD", TargetTableName: "scratch", RestoreDateTime: at });
  });

  it("gives up once the restorable window has passed, with DynamoDB's reason", async () => {
    let clock = 0;
    const dynamodb = scripted({
      RestoreTableToPointInTime: () => {
        clock += 60_000;
        return invalid();
      },
    });
    const started = startRestore({ dynamodb: dynamodb.client }, { kind: "pitr", restoreDateTime: at }, "t", "scratch", signal, {
      ...fast,
      now: () => clock,
      restorableWithinMs: 180_000,
    });
    await expect(started).rejects.toThrow(/LatestRestorableDateTime/);
    expect(dynamodb.calls).toHaveLength(3);
  });

  it("waits through RESTORING until the table is ACTIVE", async () => {
    const dynamodb = scripted({
      DescribeTable: (_input, n) => ({
        Table: { TableStatus: n < 2 ? "CREATING" : "ACTIVE", RestoreSummary: { RestoreInProgress: n < 2 } },
      }),
    });
    const activeAt = await waitForRestore(
      { dynamodb: dynamodb.client },
      "scratch",
      { startedAt: Date.now(), requestedAt: Date.now() },
      progress,
      signal,
      fast,
    );
    expect(activeAt).toBeGreaterThanOrEqual(0);
    expect(dynamodb.calls.map((c) => c.name)).toEqual(["DescribeTable", "DescribeTable", "DescribeTable"]);
  });

  it("stops waiting at the timeout, saying how to follow the table and delete it", async () => {
    let clock = 0;
    const dynamodb = scripted({
      DescribeTable: () => {
        clock += 60_000;
        return { Table: { TableStatus: "CREATING" } };
      },
    });
    const waiting = waitForRestore({ dynamodb: dynamodb.client }, "scratch", { startedAt: 0, requestedAt: 0 }, progress, signal, {
      ...fast,
      now: () => clock,
      timeoutMs: 120_000,
    });
    await expect(waiting).rejects.toMatchObject({
      message: "scratch was not restored within 2 min",
      hint: expect.stringContaining("describe-table"),
    });
  });
});

describe("an AWS Backup restore job (a copy in the DR region)", () => {
  const source = {
    kind: "aws-backup" as const,
    arn: NEWEST_COPY,
    vault: DR_VAULT,
    createdAt: new Date("2026-11-24T09:00:00Z"),
    iamRoleArn: RESTORE_ROLE_ARN,
    kmsKeyArn: DR_KEY_ARN,
  };

  it("starts from the recovery point's own restore metadata, with the scratch table's name and the DR key, and follows the job", async () => {
    const backup = scripted({
      GetRecoveryPointRestoreMetadata: () => restoreMetadata,
      StartRestoreJob: () => startRestoreJob,
      DescribeRestoreJob: (_input, n) => restoreJob(n < 1 ? "RUNNING" : "COMPLETED", "scratch"),
    });
    const dynamodb = scripted({
      DescribeTable: (_input, n) => {
        if (n < 1) throw awsError("ResourceNotFoundException", "Requested resource not found");
        return { Table: { TableStatus: "ACTIVE" } };
      },
    });
    const clients = { dynamodb: dynamodb.client, backup: backup.client };
    const started = await startRestore(clients, source, "prod-TRAZABILIDAD", "scratch", signal, fast);
    expect(started.restoreJobId).toBe(JOB_ID);
    expect(backup.calls[0]).toEqual({
      name: "GetRecoveryPointRestoreMetadata",
      input: { BackupVaultName: DR_VAULT, RecoveryPointArn: NEWEST_COPY },
    });
    expect(backup.calls[1]).toEqual({
      name: "StartRestoreJob",
      input: {
        RecoveryPointArn: NEWEST_COPY,
        Metadata: { targetTableName: "scratch", encryptionType: "KMS", kmsMasterKeyArn: DR_KEY_ARN },
        IamRoleArn: RESTORE_ROLE_ARN,
        ResourceType: "DynamoDB",
        IdempotencyToken: "scratch",
      },
    });
    await waitForRestore(clients, "scratch", started, progress, signal, fast);
    expect(backup.calls.filter((c) => c.name === "DescribeRestoreJob").map((c) => c.input)).toEqual([
      { RestoreJobId: JOB_ID },
      { RestoreJobId: JOB_ID },
      { RestoreJobId: JOB_ID },
    ]);
  });

  it("fails with the job's own reason when AWS Backup fails it", async () => {
    const backup = scripted({ DescribeRestoreJob: () => restoreJob("FAILED", "scratch") });
    const dynamodb = scripted({});
    const waiting = waitForRestore(
      { dynamodb: dynamodb.client, backup: backup.client },
      "scratch",
      { startedAt: Date.now(), requestedAt: Date.now(), restoreJobId: JOB_ID },
      progress,
      signal,
      fast,
    );
    await expect(waiting).rejects.toMatchObject({ code: "FAILED", message: `restore job ${JOB_ID} failed: Access denied to KMS key` });
    expect(dynamodb.calls).toEqual([]);
  });
});
