// Which recovery a drill makes, and the RPO it reports, from the services' documented answers
// (DescribeContinuousBackups, ListBackups, ListRecoveryPointsByBackupVault with paging): the
// emulator's PITR times are frozen and it has no recovery points (test/fixtures/aws-responses/backup.ts).
import { describe, expect, it, vi } from "vitest";
import type { RegionClients } from "../../../../src/core/aws/regional";
import { planDrill } from "../../../../src/core/drill/plan";
import { chooseRecovery, type RecoveryInput } from "../../../../src/core/drill/recovery";
import {
  DR_KEY_ARN,
  DR_REGION,
  DR_VAULT,
  NEWEST_COPY,
  RESTORE_ROLE_ARN,
  recoveryPointPages,
  SOURCE_TABLE_ARN,
} from "../../../fixtures/aws-responses/backup";

type Command = { constructor: { name: string }; input: Record<string, unknown> };
const NOW = Date.parse("2026-11-24T12:00:00Z");

function scripted(replies: Record<string, (input: Record<string, unknown>) => unknown>) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  const send = vi.fn(async (command: Command) => {
    const name = command.constructor.name.replace(/Command$/, "");
    calls.push({ name, input: command.input });
    const reply = replies[name];
    if (!reply) throw new Error(`unexpected ${name}`);
    return reply(command.input);
  });
  return { client: { send } as never, calls };
}

const drOutputs = {
  Stacks: [
    {
      StackName: "trace-prod-dr",
      StackStatus: "CREATE_COMPLETE",
      Outputs: [
        { OutputKey: "DrBackupVaultName", OutputValue: DR_VAULT },
        { OutputKey: "DrKeyArn", OutputValue: DR_KEY_ARN },
        { OutputKey: "DrRestoreRoleArn", OutputValue: RESTORE_ROLE_ARN },
      ],
    },
  ],
};

function input(
  flags: Parameters<typeof planDrill>[0],
  regions: Record<string, Partial<Record<keyof RegionClients, unknown>>>,
  backups = false,
): RecoveryInput {
  return {
    plan: planDrill(flags, NOW),
    env: { stage: "prod", region: "us-east-1", drRegion: DR_REGION, backups },
    table: "prod-TRAZABILIDAD",
    tableArn: SOURCE_TABLE_ARN,
    clients: async (region) => {
      const c = regions[region];
      if (!c) throw new Error(`no clients for ${region}`);
      return { dynamodb: c.dynamodb, cloudformation: c.cloudformation, backup: async () => c.backup } as never;
    },
    now: NOW,
    signal: new AbortController().signal,
  };
}

describe("the DR region's newest copy", () => {
  const listing = () => scripted({ ListRecoveryPointsByBackupVault: (i) => (i.NextToken ? recoveryPointPages[1] : recoveryPointPages[0]) });

  it("is the newest COMPLETED recovery point of the table in the DR vault, restored with the DR stack's role and key", async () => {
    const backup = listing();
    const cloudformation = scripted({ DescribeStacks: () => drOutputs });
    const recovery = await chooseRecovery(
      input({ drRegion: true }, { [DR_REGION]: { backup: backup.client, cloudformation: cloudformation.client } }),
    );
    expect(recovery).toMatchObject({
      kind: "aws-backup",
      recoveryPoint: NEWEST_COPY,
      region: DR_REGION,
      restorePoint: new Date("2026-11-24T09:00:00Z"),
      rpo: { seconds: 3 * 3600, newestRecoverable: "2026-11-24T09:00:00.000Z" },
      source: { kind: "aws-backup", arn: NEWEST_COPY, vault: DR_VAULT, iamRoleArn: RESTORE_ROLE_ARN, kmsKeyArn: DR_KEY_ARN },
    });
    expect(cloudformation.calls[0]?.input).toEqual({ StackName: "trace-prod-dr" });
    expect(backup.calls.map((c) => c.input)).toEqual([
      { BackupVaultName: DR_VAULT, ByResourceArn: SOURCE_TABLE_ARN, NextToken: undefined },
      { BackupVaultName: DR_VAULT, ByResourceArn: SOURCE_TABLE_ARN, NextToken: "page-2" },
    ]);
  });

  it("takes --restore-role over the stack's role, and names what is missing when there is no DR stack or no copy", async () => {
    const cloudformation = scripted({ DescribeStacks: () => drOutputs });
    const role = "arn:aws:iam::123456789012:role/other";
    const recovery = await chooseRecovery(
      input(
        { drRegion: DR_REGION, restoreRole: role },
        { [DR_REGION]: { backup: listing().client, cloudformation: cloudformation.client } },
      ),
    );
    expect(recovery.source).toMatchObject({ iamRoleArn: role });
    const noStack = scripted({
      DescribeStacks: () => {
        throw Object.assign(new Error("Stack with id trace-prod-dr does not exist"), { name: "ValidationError" });
      },
    });
    await expect(chooseRecovery(input({ drRegion: true }, { [DR_REGION]: { cloudformation: noStack.client } }))).rejects.toMatchObject({
      exitCode: 3,
      message: `no DR stack in ${DR_REGION}: trace-prod-dr is not deployed there`,
    });
    const empty = scripted({ ListRecoveryPointsByBackupVault: () => ({ RecoveryPoints: [] }) });
    await expect(
      chooseRecovery(input({ drRegion: true }, { [DR_REGION]: { backup: empty.client, cloudformation: cloudformation.client } })),
    ).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining(`holds no copy of ${SOURCE_TABLE_ARN}`) });
  });
});

describe("the table's own region", () => {
  it("point in time: the RPO is how far LatestRestorableDateTime is behind, and --at must be after EarliestRestorableDateTime", async () => {
    const dynamodb = scripted({
      DescribeContinuousBackups: () => ({
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: "ENABLED",
          PointInTimeRecoveryDescription: {
            PointInTimeRecoveryStatus: "ENABLED",
            EarliestRestorableDateTime: new Date("2026-11-20T00:00:00Z"),
            LatestRestorableDateTime: new Date(NOW - 5 * 60_000),
          },
        },
      }),
    });
    const recovery = await chooseRecovery(input({}, { "us-east-1": { dynamodb: dynamodb.client } }));
    expect(recovery).toMatchObject({ kind: "pitr", restorePoint: undefined, rpo: { seconds: 300 }, region: "us-east-1" });
    await expect(
      chooseRecovery(input({ at: "2026-11-19T00:00:00Z" }, { "us-east-1": { dynamodb: dynamodb.client } })),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining("before the earliest restorable time of prod-TRAZABILIDAD, 2026-11-20T00:00:00.000Z"),
    });
  });

  it("backup: the newest of DynamoDB's backups and the plan's vault; an advanced recovery point needs a role to restore", async () => {
    const dynamodb = scripted({
      ListBackups: () => ({
        BackupSummaries: [
          {
            TableName: "prod-TRAZABILIDAD",
            BackupArn: `${SOURCE_TABLE_ARN}/backup/01489173575360-b308cd7d`,
            BackupCreationDateTime: new Date("2026-11-24T06:00:00Z"),
            BackupStatus: "AVAILABLE",
            BackupType: "USER",
          },
        ],
      }),
    });
    const inRegion = recoveryPointPages.map((page) => ({
      ...page,
      RecoveryPoints: page.RecoveryPoints.map((p) => ({ ...p, RecoveryPointArn: p.RecoveryPointArn.replace(DR_REGION, "us-east-1") })),
    }));
    const backup = scripted({ ListRecoveryPointsByBackupVault: (i) => (i.NextToken ? inRegion[1] : inRegion[0]) });
    const regions = {
      "us-east-1": { dynamodb: dynamodb.client, backup: backup.client },
      [DR_REGION]: { cloudformation: scripted({ DescribeStacks: () => drOutputs }).client },
    };
    const recovery = await chooseRecovery(input({ from: "backup" }, regions, true));
    expect(recovery).toMatchObject({ kind: "aws-backup", recoveryPoint: NEWEST_COPY.replace(DR_REGION, "us-east-1"), region: "us-east-1" });
    expect(recovery.source).toMatchObject({ vault: "trace-prod-tables", iamRoleArn: RESTORE_ROLE_ARN, kmsKeyArn: undefined });
    // Without the plan (backups: false), only DynamoDB's own backups count.
    const own = await chooseRecovery(input({ from: "backup" }, { "us-east-1": { dynamodb: dynamodb.client } }, false));
    expect(own).toMatchObject({ kind: "dynamodb-backup", rpo: { seconds: 6 * 3600 } });
  });
});
