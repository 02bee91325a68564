/**
 * Restoring a table to a new scratch table, waiting for it, and deleting it: from point-in-time
 * recovery (RestoreTableToPointInTime), from a DynamoDB backup (RestoreTableFromBackup: on-demand
 * backups, and AWS Backup's recovery points of tables without advanced features, whose ARNs are
 * DynamoDB's), or from an AWS Backup recovery point with advanced features (StartRestoreJob, the
 * only way to restore a copy in another region).
 */
import type { BackupClient } from "@aws-sdk/client-backup";
import {
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
} from "@aws-sdk/client-dynamodb";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { Progress } from "../reporter";
import { sleep } from "../sleep";

/** Where the restore comes from. */
export type RecoverySource =
  | { kind: "pitr"; restoreDateTime: Date }
  | { kind: "dynamodb-backup"; arn: string; createdAt: Date }
  | {
      kind: "aws-backup";
      arn: string;
      /** The vault the recovery point is in. */
      vault: string;
      createdAt: Date;
      /** The role AWS Backup assumes to create the table (iam:PassRole for the caller). */
      iamRoleArn: string;
      /** Encrypts the restored table (in a DR region: the DR stack's key); absent: DynamoDB's own key. */
      kmsKeyArn?: string | undefined;
    };

export interface RestoreClients {
  /** DynamoDB in the region the scratch table is made in. */
  dynamodb: Pick<DynamoDBClient, "send">;
  /** AWS Backup in that region (aws-backup sources only). */
  backup?: Pick<BackupClient, "send"> | undefined;
}

export interface Timing {
  now?: () => number;
  /** First pause between polls, ms (doubling up to maxPollMs). */
  pollMs?: number;
  maxPollMs?: number;
  /** Give up waiting after this long, ms. */
  timeoutMs?: number;
  /**
   * How long a point-in-time restore waits for its restore time to become restorable: DynamoDB's
   * LatestRestorableDateTime "is typically 5 minutes before the current time" (API reference,
   * PointInTimeRecoveryDescription), and a RestoreDateTime after it is refused with
   * InvalidRestoreTimeException, so the request is retried until then.
   */
  restorableWithinMs?: number;
  /** Pause between those retries, ms. */
  retryMs?: number;
}

const DEFAULTS = { pollMs: 2_000, maxPollMs: 30_000, timeoutMs: 4 * 3600_000, restorableWithinMs: 15 * 60_000, retryMs: 30_000 };

/** What starting the restore left to follow. */
export interface StartedRestore {
  /** When the restore was accepted (epoch ms): the RTO clock starts here. */
  startedAt: number;
  /** When it was first requested (a point-in-time restore may wait for its time to become restorable). */
  requestedAt: number;
  /** AWS Backup's restore job, for aws-backup sources. */
  restoreJobId?: string;
}

/** Starts the restore of `sourceTable` (name; an ARN for backups is in the source) into `target`. */
export async function startRestore(
  clients: RestoreClients,
  source: RecoverySource,
  sourceTable: string,
  target: string,
  signal: AbortSignal,
  timing: Timing = {},
): Promise<StartedRestore> {
  const now = timing.now ?? Date.now;
  const requestedAt = now();
  const opts = { abortSignal: signal };
  try {
    if (source.kind === "dynamodb-backup") {
      await clients.dynamodb.send(new RestoreTableFromBackupCommand({ BackupArn: source.arn, TargetTableName: target }), opts);
      return { startedAt: now(), requestedAt };
    }
    if (source.kind === "aws-backup") return { ...(await startRestoreJob(clients, source, target, signal)), startedAt: now(), requestedAt };
    const deadline = requestedAt + (timing.restorableWithinMs ?? DEFAULTS.restorableWithinMs);
    for (;;) {
      try {
        await clients.dynamodb.send(
          new RestoreTableToPointInTimeCommand({
            SourceTableName: sourceTable,
            TargetTableName: target,
            RestoreDateTime: source.restoreDateTime,
          }),
          opts,
        );
        return { startedAt: now(), requestedAt };
      } catch (error) {
        if ((error as Error).name !== "InvalidRestoreTimeException" || now() >= deadline) throw error;
        await sleep(timing.retryMs ?? DEFAULTS.retryMs, signal);
      }
    }
  } catch (error) {
    throw toTraceError(error, `restoring ${sourceTable} into ${target}`);
  }
}

/**
 * StartRestoreJob with the recovery point's own restore metadata (GetRecoveryPointRestoreMetadata,
 * which the API reference says to start from) and a new table name; a key when one is given.
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartRestoreJob.html
 */
async function startRestoreJob(
  clients: RestoreClients,
  source: Extract<RecoverySource, { kind: "aws-backup" }>,
  target: string,
  signal: AbortSignal,
): Promise<{ restoreJobId: string }> {
  const backup = clients.backup;
  if (!backup) throw new TraceError(ErrorCode.failed, "no AWS Backup client given for a restore job");
  const { GetRecoveryPointRestoreMetadataCommand, StartRestoreJobCommand } = await import("@aws-sdk/client-backup");
  const known = await backup.send(
    new GetRecoveryPointRestoreMetadataCommand({ BackupVaultName: source.vault, RecoveryPointArn: source.arn }),
    {
      abortSignal: signal,
    },
  );
  const metadata: Record<string, string> = { ...known.RestoreMetadata, targetTableName: target };
  if (source.kmsKeyArn) Object.assign(metadata, { encryptionType: "KMS", kmsMasterKeyArn: source.kmsKeyArn });
  const started = await backup.send(
    new StartRestoreJobCommand({
      RecoveryPointArn: source.arn,
      Metadata: metadata,
      IamRoleArn: source.iamRoleArn,
      ResourceType: "DynamoDB",
      IdempotencyToken: target,
    }),
    { abortSignal: signal },
  );
  if (!started.RestoreJobId) throw new TraceError(ErrorCode.failed, `StartRestoreJob for ${source.arn} returned no RestoreJobId`);
  return { restoreJobId: started.RestoreJobId };
}

/** Waits for the scratch table (and the restore job, if any) to finish; returns when the table is ACTIVE (epoch ms). */
export async function waitForRestore(
  clients: RestoreClients,
  target: string,
  started: StartedRestore,
  progress: Progress,
  signal: AbortSignal,
  timing: Timing = {},
): Promise<number> {
  const now = timing.now ?? Date.now;
  const deadline = started.startedAt + (timing.timeoutMs ?? DEFAULTS.timeoutMs);
  let pause = timing.pollMs ?? DEFAULTS.pollMs;
  for (;;) {
    const state = started.restoreJobId ? await restoreJobState(clients, started.restoreJobId, signal) : undefined;
    if (state?.failed) throw new TraceError(ErrorCode.failed, `restore job ${started.restoreJobId} ${state.failed}`);
    const table = state && !state.done ? undefined : await tableState(clients.dynamodb, target, signal);
    const elapsed = Math.round((now() - started.startedAt) / 1000);
    if (table === "ACTIVE") return now();
    progress.update(`restoring ${target}: ${state?.status ?? table ?? "starting"}, ${elapsed} s`);
    if (now() >= deadline) {
      throw new TraceError(
        ErrorCode.failed,
        `${target} was not restored within ${Math.round((deadline - started.startedAt) / 60_000)} min`,
        {
          hint: `follow it with \`aws dynamodb describe-table --table-name ${target}\`; delete it once ACTIVE if it is not wanted`,
        },
      );
    }
    await sleep(pause, signal);
    pause = Math.min(pause * 2, timing.maxPollMs ?? DEFAULTS.maxPollMs);
  }
}

async function tableState(dynamodb: Pick<DynamoDBClient, "send">, table: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal });
    // A restored table is ACTIVE once its data is in; RestoreInProgress says so explicitly.
    return Table?.RestoreSummary?.RestoreInProgress ? "RESTORING" : Table?.TableStatus;
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return undefined;
    throw toTraceError(error, `table ${table}`);
  }
}

async function restoreJobState(
  clients: RestoreClients,
  jobId: string,
  signal: AbortSignal,
): Promise<{ status: string; done: boolean; failed?: string }> {
  const { DescribeRestoreJobCommand } = await import("@aws-sdk/client-backup");
  const job = await (clients.backup as Pick<BackupClient, "send">).send(new DescribeRestoreJobCommand({ RestoreJobId: jobId }), {
    abortSignal: signal,
  });
  const status = job.Status ?? "PENDING";
  if (status === "FAILED" || status === "ABORTED")
    return { status, done: true, failed: `${status.toLowerCase()}: ${job.StatusMessage ?? "no reason given"}` };
  return { status, done: status === "COMPLETED" };
}

/** Deletes the scratch table; a table still being restored cannot be, and the hint says what to do. */
export async function deleteScratch(dynamodb: Pick<DynamoDBClient, "send">, table: string): Promise<void> {
  try {
    await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return;
    throw new TraceError(ErrorCode.failed, `could not delete the scratch table ${table}: ${(error as Error).message}`, {
      hint: `delete it yourself once it is ACTIVE: aws dynamodb delete-table --table-name ${table}`,
      cause: error,
    });
  }
}
