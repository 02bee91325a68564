/**
 * Which recovery point a drill restores: the newest one that can be restored. DynamoDB lists its
 * own backups (on-demand ones, and AWS Backup's of tables without advanced features, whose ARNs
 * are DynamoDB's) with ListBackups; AWS Backup lists what a vault holds with
 * ListRecoveryPointsByBackupVault (the plan's vault here, and the DR vault, where only AWS Backup
 * can restore from, its copies being advanced backups).
 */
import type { BackupClient, RecoveryPointByBackupVault } from "@aws-sdk/client-backup";
import { type BackupSummary, type DynamoDBClient, ListBackupsCommand } from "@aws-sdk/client-dynamodb";
import { toTraceError } from "../errors";

/** A restorable recovery point: DynamoDB's backup, or AWS Backup's recovery point in a vault. */
export interface RecoveryPoint {
  arn: string;
  /** When the recovery point was created (the data is of that time, or older for a copy). */
  createdAt: Date;
  /** `dynamodb` restores with RestoreTableFromBackup, `aws-backup` with StartRestoreJob. */
  restoreWith: "dynamodb" | "aws-backup";
  /** The vault (AWS Backup's), or the backup type (DynamoDB's: USER, SYSTEM, AWS_BACKUP). */
  where: string;
}

/** DynamoDB's own backups of a table are restored by DynamoDB; AWS Backup's advanced ones (arn:aws:backup) by AWS Backup. */
export const restoredBy = (arn: string): RecoveryPoint["restoreWith"] =>
  /^arn:aws[a-z-]*:dynamodb:/.test(arn) ? "dynamodb" : "aws-backup";

/** The table's AVAILABLE DynamoDB backups, every type (ListBackups pages with LastEvaluatedBackupArn). */
export async function tableBackups(dynamodb: Pick<DynamoDBClient, "send">, table: string, signal: AbortSignal): Promise<RecoveryPoint[]> {
  const found: BackupSummary[] = [];
  let start: string | undefined;
  try {
    do {
      const page = await dynamodb.send(new ListBackupsCommand({ TableName: table, BackupType: "ALL", ExclusiveStartBackupArn: start }), {
        abortSignal: signal,
      });
      found.push(...(page.BackupSummaries ?? []));
      start = page.LastEvaluatedBackupArn;
    } while (start);
  } catch (error) {
    throw toTraceError(error, `the backups of ${table}`);
  }
  return found
    .filter((b) => b.BackupStatus === "AVAILABLE" && b.BackupArn && b.BackupCreationDateTime)
    .map((b) => ({
      arn: b.BackupArn as string,
      createdAt: new Date(b.BackupCreationDateTime as Date),
      restoreWith: "dynamodb" as const,
      where: `DynamoDB backup (${b.BackupType ?? "USER"})`,
    }));
}

/** The table's COMPLETED recovery points in an AWS Backup vault (ByResourceArn: the source table's ARN, copies included). */
export async function vaultRecoveryPoints(
  backup: Pick<BackupClient, "send">,
  vault: string,
  tableArn: string,
  signal: AbortSignal,
): Promise<RecoveryPoint[]> {
  const { ListRecoveryPointsByBackupVaultCommand } = await import("@aws-sdk/client-backup");
  const found: RecoveryPointByBackupVault[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await backup.send(
        new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: vault, ByResourceArn: tableArn, NextToken: token }),
        { abortSignal: signal },
      );
      found.push(...(page.RecoveryPoints ?? []));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    throw toTraceError(error, `the recovery points of ${tableArn} in vault ${vault}`);
  }
  return found
    .filter((p) => p.Status === "COMPLETED" && p.RecoveryPointArn && p.CreationDate)
    .map((p) => ({
      arn: p.RecoveryPointArn as string,
      createdAt: new Date(p.CreationDate as Date),
      restoreWith: restoredBy(p.RecoveryPointArn as string),
      where: `vault ${vault}`,
    }));
}

/** The newest of the recovery points, or undefined. */
export function newest(points: readonly RecoveryPoint[]): RecoveryPoint | undefined {
  return [...points].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
}
