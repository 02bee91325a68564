/**
 * Which recovery a drill makes, and the RPO it shows: point-in-time recovery (the newest
 * recoverable write is LatestRestorableDateTime), the newest backup in the table's region, the
 * newest copy in the DR region's vault, or a table restored before (its RestoreSummary names
 * the source and the restore point).
 */
import { DescribeContinuousBackupsCommand, DescribeTableCommand, type TableDescription } from "@aws-sdk/client-dynamodb";
import type { RegionClients } from "../aws/regional";
import { ErrorCode, notFoundError, TraceError, toTraceError, usageError } from "../errors";
import { readStackOutputs } from "../resources";
import { stackName } from "../stacks";
import type { DrillPlan } from "./plan";
import type { DrillReport } from "./report";
import type { RecoverySource } from "./restore";
import { newest, type RecoveryPoint, tableBackups, vaultRecoveryPoints } from "./sources";

export interface Recovery {
  /** What to restore; undefined for --restored (nothing is restored). */
  source: RecoverySource | undefined;
  kind: DrillReport["source"]["kind"];
  recoveryPoint: string | null;
  where: string | null;
  /** The instant the restored data is of; undefined: the instant the drill finishes reading the source. */
  restorePoint: Date | undefined;
  rpo: DrillReport["rpo"];
  /** The region of the scratch (or --restored) table. */
  region: string;
}

export interface RecoveryInput {
  plan: DrillPlan;
  env: { stage: string; region: string; drRegion?: string | undefined; backups: boolean };
  table: string;
  tableArn: string;
  /** Clients of a region (the table's, or the DR region). */
  clients(region: string): Promise<RegionClients>;
  now: number;
  signal: AbortSignal;
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/** Chooses the recovery of the plan and reads the RPO it achieves. */
export async function chooseRecovery(input: RecoveryInput): Promise<Recovery> {
  const { plan, env } = input;
  const region = plan.drRegion === true ? drRegionOf(env) : (plan.drRegion ?? env.region);
  if (plan.restored) return restoredBefore(input, region);
  if (plan.from === "pitr") return pointInTime(input);
  return region === env.region ? newestBackup(input) : newestCopy(input, region);
}

function drRegionOf(env: RecoveryInput["env"]): string {
  if (!env.drRegion)
    throw usageError(
      "--dr-region without a region needs the environment's drRegion, which is not set",
      "set drRegion in the config file, or name the region: --dr-region eu-central-1",
    );
  return env.drRegion;
}

async function pointInTime(input: RecoveryInput): Promise<Recovery> {
  const { dynamodb } = await input.clients(input.env.region);
  let pitr: { status?: string; earliest?: Date; latest?: Date };
  try {
    const out = await dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: input.table }), { abortSignal: input.signal });
    const d = out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
    pitr = { status: d?.PointInTimeRecoveryStatus, earliest: d?.EarliestRestorableDateTime, latest: d?.LatestRestorableDateTime };
  } catch (error) {
    throw toTraceError(error, `point-in-time recovery of ${input.table}`);
  }
  if (pitr.status !== "ENABLED") {
    throw notFoundError(
      `point-in-time recovery is off on ${input.table}: there is nothing to restore to a point in time`,
      `turn it on (aws dynamodb update-continuous-backups --table-name ${input.table} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true), or drill a backup: --from backup`,
    );
  }
  const at = input.plan.at;
  if (at && pitr.earliest && at < pitr.earliest)
    throw usageError(
      `--at ${at.toISOString()} is before the earliest restorable time of ${input.table}, ${new Date(pitr.earliest).toISOString()}`,
      "choose a later time",
    );
  const latest = pitr.latest ? new Date(pitr.latest) : undefined;
  return {
    source: undefined,
    kind: "pitr",
    recoveryPoint: null,
    where: "point-in-time recovery",
    restorePoint: at,
    rpo: { seconds: latest ? seconds(input.now - latest.getTime()) : null, newestRecoverable: latest?.toISOString() ?? null },
    region: input.env.region,
  };
}

/** The newest backup in the table's region: DynamoDB's own, and the backup plan's vault when backups are on. */
async function newestBackup(input: RecoveryInput): Promise<Recovery> {
  const { env } = input;
  const clients = await input.clients(env.region);
  const points = await tableBackups(clients.dynamodb, input.table, input.signal);
  const vault = `trace-${env.stage}-tables`;
  if (env.backups) points.push(...(await vaultRecoveryPoints(await clients.backup(), vault, input.tableArn, input.signal)));
  const point = newest(points);
  if (!point) {
    throw notFoundError(
      `${input.table} has no backup to restore${env.backups ? ` (DynamoDB's backups and vault ${vault})` : " (DynamoDB's backups; the environment has no backup plan: backups is false)"}`,
      "make one (aws dynamodb create-backup), turn on the plan (backups: true, then trace deploy base), or drill point-in-time recovery: --from pitr",
    );
  }
  const role = point.restoreWith === "aws-backup" ? await restoreRole(input) : undefined;
  return fromPoint(input, point, env.region, role, undefined);
}

/** The newest copy in the DR region's vault (the dr stack's outputs name the vault, the key and the role). */
async function newestCopy(input: RecoveryInput, region: string): Promise<Recovery> {
  const clients = await input.clients(region);
  const name = stackName(input.env, "dr");
  const outputs = await readStackOutputs(clients.cloudformation, name);
  if (!outputs?.DrBackupVaultName) {
    throw notFoundError(
      `no DR stack in ${region}: ${name} is not deployed there`,
      "set drRegion in the environment and run `trace deploy dr`",
    );
  }
  const points = await vaultRecoveryPoints(await clients.backup(), outputs.DrBackupVaultName, input.tableArn, input.signal);
  const point = newest(points);
  if (!point) {
    throw notFoundError(
      `vault ${outputs.DrBackupVaultName} in ${region} holds no copy of ${input.tableArn}`,
      "copies arrive after the backup plan's runs (backups: true, with drRegion set); check AWS Backup's copy jobs",
    );
  }
  return fromPoint(
    input,
    { ...point, restoreWith: "aws-backup" },
    region,
    input.plan.restoreRole ?? outputs.DrRestoreRoleArn,
    outputs.DrKeyArn,
  );
}

function fromPoint(
  input: RecoveryInput,
  point: RecoveryPoint,
  region: string,
  role: string | undefined,
  key: string | undefined,
): Recovery {
  const source: RecoverySource =
    point.restoreWith === "dynamodb"
      ? { kind: "dynamodb-backup", arn: point.arn, createdAt: point.createdAt }
      : {
          kind: "aws-backup",
          arn: point.arn,
          vault: point.where.replace(/^vault /, ""),
          createdAt: point.createdAt,
          iamRoleArn: role ?? "",
          kmsKeyArn: key,
        };
  return {
    source,
    kind: source.kind,
    recoveryPoint: point.arn,
    where: region === input.env.region ? point.where : `${point.where} (${region})`,
    restorePoint: point.createdAt,
    rpo: { seconds: seconds(input.now - point.createdAt.getTime()), newestRecoverable: point.createdAt.toISOString() },
    region,
  };
}

/** The role AWS Backup assumes to restore an advanced recovery point: --restore-role, else the DR stack's. */
async function restoreRole(input: RecoveryInput): Promise<string> {
  if (input.plan.restoreRole) return input.plan.restoreRole;
  if (input.env.drRegion) {
    const outputs = await readStackOutputs((await input.clients(input.env.drRegion)).cloudformation, stackName(input.env, "dr"));
    if (outputs?.DrRestoreRoleArn) return outputs.DrRestoreRoleArn;
  }
  throw usageError(
    "the newest recovery point is AWS Backup's (advanced DynamoDB backup), which AWS Backup restores with a role it assumes",
    "pass --restore-role <role ARN> (a role with AWSBackupServiceRolePolicyForRestores), or deploy the DR stack, which has one",
  );
}

/** A table restored before: its RestoreSummary must name the source table. */
async function restoredBefore(input: RecoveryInput, region: string): Promise<Recovery> {
  const table = input.plan.restored as string;
  const { dynamodb } = await input.clients(region);
  let summary: TableDescription["RestoreSummary"];
  try {
    summary = (await dynamodb.send(new DescribeTableCommand({ TableName: table }), { abortSignal: input.signal })).Table?.RestoreSummary;
  } catch (error) {
    throw toTraceError(error, `table ${table}`);
  }
  if (!summary?.RestoreDateTime || summary.SourceTableArn !== input.tableArn) {
    throw new TraceError(
      ErrorCode.usage,
      `${table} is not a restore of ${input.table}: its RestoreSummary names ${summary?.SourceTableArn ?? "no source"}`,
      { hint: "pass the table a restore of the drilled table made (`trace drill --keep` prints it), or name the source table" },
    );
  }
  return {
    source: undefined,
    kind: "restored",
    recoveryPoint: summary.SourceBackupArn ?? null,
    where: summary.SourceBackupArn ? "backup" : "point-in-time recovery",
    restorePoint: new Date(summary.RestoreDateTime),
    rpo: { seconds: null, newestRecoverable: null },
    region,
  };
}
