/**
 * The archive's operator entry points, one per `trace archive` subcommand: resolve the bucket
 * (stack output or flag) and the table name, then list, restore or purge.
 */
import type { AwsClients } from "../aws/clients";
import { physicalName, type ResolvedEnvironment } from "../config";
import { usageError } from "../errors";
import type { Reporter } from "../reporter";
import { resolveOutputs } from "../resources";
import type { DeletionKind } from "./archive-object";
import { keySchemaCache } from "./key-schema";
import { type ArchiveStore, listArchive } from "./lister";
import type { KeyPart } from "./object-key";
import { type PurgeResult, purgeItem } from "./purge";
import { type RedriveReport, redriveQueues } from "./redrive-queues";
import { type RestoreResult, restoreItem } from "./restore";
import { type RangeRestoreResult, restoreRange } from "./restore-range";

export type ArchiveEnv = Pick<ResolvedEnvironment, "stage" | "prefix" | "archivedTables" | "retentionDays">;

export interface ArchiveSettings {
  /** Called once options are validated, so a usage error never waits for AWS settings. */
  clients: () => Promise<Pick<AwsClients, "s3" | "dynamodb" | "cloudformation">>;
  /** Resolved lazily too (it may fail for want of a region). */
  env: () => ArchiveEnv;
  reporter: Reporter;
  signal?: AbortSignal;
  /** `--bucket`: overrides the base stack's DataBucketName. */
  bucket?: string | undefined;
}

/**
 * The table name used in the archive prefix and as the restore target. A physical name is used
 * as given; a seed name of an archived table (e.g. TRAZABILIDAD) gets the environment's prefix
 * when it does not already carry it.
 */
export function archivedTableName(env: ArchiveEnv, table: string): string {
  if (env.prefix && !table.startsWith(env.prefix) && (env.archivedTables as readonly string[]).includes(table))
    return physicalName(env, table);
  return table;
}

async function store(settings: ArchiveSettings): Promise<ArchiveStore & { dynamodb: AwsClients["dynamodb"] }> {
  const clients = await settings.clients();
  const { DataBucketName } = await resolveOutputs(
    clients.cloudformation,
    settings.env(),
    ["DataBucketName"],
    { DataBucketName: settings.bucket },
    { DataBucketName: "--bucket" },
  );
  return { s3: clients.s3, dynamodb: clients.dynamodb, bucket: DataBucketName, ...(settings.signal ? { signal: settings.signal } : {}) };
}

export interface ListOptions {
  table: string;
  keys: KeyPart[];
  since?: Date | undefined;
  until?: Date | undefined;
  kind?: DeletionKind | undefined;
}

/** `trace archive list`: archived versions, oldest first, with kind and keys. */
export async function archiveList(settings: ArchiveSettings, options: ListOptions) {
  const s = await store(settings);
  const table = archivedTableName(settings.env(), options.table);
  const versions = await listArchive(s, { table, keys: options.keys, since: options.since, until: options.until, kind: options.kind });
  return {
    bucket: s.bucket,
    table,
    count: versions.length,
    versions: versions.map((v) => ({
      versionId: v.versionId,
      deletedAt: v.deletedAt,
      deletionKind: v.deletionKind,
      keys: Object.fromEntries(v.keys.map((k) => [k.name, k.value])),
      eventId: v.eventId,
      objectKey: v.objectKey,
    })),
  };
}

export interface RestoreOptions {
  table: string;
  toTable?: string | undefined;
  keys: KeyPart[];
  versionId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  kind?: DeletionKind | undefined;
  dryRun: boolean;
  force: boolean;
  keepTtl: boolean;
}

export type ArchiveRestoreResult = ({ mode: "item" } & RestoreResult) | ({ mode: "range" } & RangeRestoreResult);

/** `trace archive restore`: one item (`keys`) or every item deleted in a range (`since`/`until`). */
export async function archiveRestore(settings: ArchiveSettings, options: RestoreOptions): Promise<ArchiveRestoreResult> {
  const ranged = options.since !== undefined || options.until !== undefined;
  if (options.keys.length > 0 && ranged) {
    throw usageError("--key and --since/--until do not go together", "restore one item with --key, or a time range with --since/--until");
  }
  if (options.keys.length === 0 && !ranged) {
    throw usageError(
      "nothing to restore: no --key and no --since/--until",
      "pass --key name=value (one item) or --since/--until (a range)",
    );
  }
  if (options.kind && options.keys.length > 0)
    throw usageError("--kind filters a range restore; with --key use --version", "drop --kind, or pick the version with --version");
  if (options.versionId && options.keys.length === 0) throw usageError("--version needs --key", "name the item with --key name=value");
  const s = await store(settings);
  const deps = { ...s, reporter: settings.reporter };
  const common = {
    table: archivedTableName(settings.env(), options.table),
    toTable: options.toTable ? archivedTableName(settings.env(), options.toTable) : undefined,
    dryRun: options.dryRun,
    force: options.force,
    keepTtl: options.keepTtl,
    retentionDays: settings.env().retentionDays,
  };
  if (options.keys.length > 0) {
    return { mode: "item", ...(await restoreItem(deps, { ...common, keys: options.keys, versionId: options.versionId })) };
  }
  return { mode: "range", ...(await restoreRange(deps, { ...common, since: options.since, until: options.until, kind: options.kind })) };
}

/** `trace archive purge`: every archived version of one item, after confirmation. */
export async function archivePurge(
  settings: ArchiveSettings,
  options: { table: string; keys: KeyPart[] },
): Promise<PurgeResult & { bucket: string }> {
  if (options.keys.length === 0) throw usageError("purge needs the item's key", "pass --key name=value for every key attribute");
  const s = await store(settings);
  const result = await purgeItem(
    { ...s, reporter: settings.reporter },
    { table: archivedTableName(settings.env(), options.table), keys: options.keys },
  );
  return { ...result, bucket: s.bucket };
}

export interface RedriveSettings extends Omit<ArchiveSettings, "clients"> {
  clients: () => Promise<Pick<AwsClients, "s3" | "dynamodb" | "cloudformation" | "sqs" | "streams" | "loadMore">>;
  /** Overrides of the archive stack's queue outputs. */
  pipeQueue?: string | undefined;
  archiveQueue?: string | undefined;
  now?: () => Date;
}

/**
 * `trace archive redrive`: recovers every message of the pipes' dead-letter queue and of the
 * archive's, archiving what the stream or the event still holds (redrive.ts).
 */
export async function archiveRedrive(
  settings: RedriveSettings,
  onMessage?: Parameters<typeof redriveQueues>[0]["onMessage"],
): Promise<RedriveReport & { bucket: string }> {
  const clients = await settings.clients();
  await clients.loadMore();
  const outputs = await resolveOutputs(
    clients.cloudformation,
    settings.env(),
    ["DataBucketName", "DataKeyArn", "PipeDeadLetterQueueUrl", "ArchiveDeadLetterQueueUrl"],
    { DataBucketName: settings.bucket, PipeDeadLetterQueueUrl: settings.pipeQueue, ArchiveDeadLetterQueueUrl: settings.archiveQueue },
    { DataBucketName: "--bucket", PipeDeadLetterQueueUrl: "--pipe-queue", ArchiveDeadLetterQueueUrl: "--archive-queue" },
  );
  const report = await redriveQueues(
    {
      sqs: clients.sqs,
      streams: clients.streams,
      archiver: {
        s3: clients.s3,
        keySchema: keySchemaCache(clients.dynamodb),
        bucket: outputs.DataBucketName,
        kmsKeyArn: outputs.DataKeyArn,
        reporter: settings.reporter,
      },
      ...(settings.now ? { now: settings.now } : {}),
      ...(settings.signal ? { signal: settings.signal } : {}),
      ...(onMessage ? { onMessage } : {}),
    },
    [
      { name: "pipes", url: outputs.PipeDeadLetterQueueUrl },
      { name: "archive", url: outputs.ArchiveDeadLetterQueueUrl },
    ],
  );
  return { ...report, bucket: outputs.DataBucketName };
}
