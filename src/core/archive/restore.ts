/**
 * Restoring archived items: the archived old image goes back with PutItem as low-level
 * AttributeValues (types exactly as archived), conditional on no live item unless forced.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { conflictError, ErrorCode, notFoundError, TraceError, toTraceError, usageError } from "../errors";
import type { Reporter } from "../reporter";
import type { DeletionKind } from "./archive-object";
import { fromJsonItem, type JsonItem, type SdkItem } from "./dynamo-json";
import { type DynamoDbPort, describeKeySchema, describeTtlAttribute, type KeySchema } from "./key-schema";
import { type ArchiveStore, type ArchiveVersion, itemIdentity, listArchive, orderKeyParts } from "./lister";
import type { KeyPart } from "./object-key";

export interface RestoreDeps extends ArchiveStore {
  dynamodb: DynamoDbPort;
  reporter: Reporter;
  now?: () => Date;
}

export interface RestoreTarget {
  /** Table whose archive is read (physical name, as in the object keys). */
  table: string;
  /** Table written to; defaults to `table`. */
  toTable?: string | undefined;
  dryRun?: boolean;
  force?: boolean;
  /** Keep an expired TTL as archived instead of refreshing it. */
  keepTtl?: boolean;
  /** Fresh TTL = now + this many days. */
  retentionDays: number;
}

export interface TtlChange {
  attribute: string;
  archived: string;
  /** The fresh value, absent when the old one was kept. */
  refreshed?: string;
}

export type RestoreAction = "restored" | "overwritten" | "would-restore" | "would-overwrite" | "would-refuse-live";

export interface RestoreResult {
  table: string;
  toTable: string;
  keys: Record<string, string>;
  versionId: string;
  deletedAt: string;
  deletionKind: DeletionKind | undefined;
  versions: number;
  action: RestoreAction;
  ttl?: TtlChange;
}

export interface Prepared {
  item: SdkItem;
  key: SdkItem;
  ttl?: TtlChange;
}

export interface TargetInfo {
  table: string;
  schema: KeySchema;
  ttlAttribute: string | undefined;
}

export async function describeTarget(deps: RestoreDeps, table: string): Promise<TargetInfo> {
  const [schema, ttlAttribute] = await Promise.all([
    describeKeySchema(deps.dynamodb, table, deps.signal),
    describeTtlAttribute(deps.dynamodb, table, deps.signal),
  ]);
  return { table, schema, ttlAttribute };
}

/** The archived old image as AttributeValues, with its TTL refreshed when it has passed. */
export function prepare(version: ArchiveVersion, target: TargetInfo, options: RestoreTarget, now: Date): Prepared {
  const image = version.body?.record?.dynamodb?.OldImage as JsonItem | undefined;
  if (!image) throw new TraceError(ErrorCode.failed, `archive object ${version.objectKey} holds no old image`);
  const item = fromJsonItem(image);
  const key: SdkItem = {};
  for (const part of [target.schema.partitionKey, target.schema.sortKey]) {
    if (!part) continue;
    const value = item[part.name];
    if (!value) {
      throw usageError(
        `the archived item has no attribute "${part.name}", a key of table ${target.table}`,
        "restore into a table with the same key schema (--to-table)",
      );
    }
    key[part.name] = value;
  }
  let ttl: TtlChange | undefined;
  const attribute = target.ttlAttribute;
  const current = attribute ? item[attribute]?.N : undefined;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (attribute && current !== undefined && Number(current) <= nowSeconds) {
    if (options.keepTtl) ttl = { attribute, archived: current };
    else {
      const refreshed = String(nowSeconds + options.retentionDays * 86_400);
      item[attribute] = { N: refreshed };
      ttl = { attribute, archived: current, refreshed };
    }
  }
  return { item, key, ...(ttl ? { ttl } : {}) };
}

export type PutOutcome = "restored" | "overwritten" | "live";

export async function putItem(deps: RestoreDeps, target: TargetInfo, prepared: Prepared, force: boolean): Promise<PutOutcome> {
  try {
    const out = await deps.dynamodb.send(
      new PutItemCommand({
        TableName: target.table,
        Item: prepared.item,
        ...(force
          ? { ReturnValues: "ALL_OLD" }
          : { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": target.schema.partitionKey.name } }),
      }),
      { abortSignal: deps.signal },
    );
    return out.Attributes ? "overwritten" : "restored";
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === "ConditionalCheckFailedException") return "live";
    throw toTraceError(error, `table "${target.table}"`);
  }
}

export async function isLive(deps: RestoreDeps, target: TargetInfo, key: SdkItem): Promise<boolean> {
  try {
    const out = await deps.dynamodb.send(new GetItemCommand({ TableName: target.table, Key: key, ConsistentRead: true }), {
      abortSignal: deps.signal,
    });
    return out.Item !== undefined;
  } catch (error) {
    throw toTraceError(error, `table "${target.table}"`);
  }
}

export const keyRecord = (keys: readonly KeyPart[]) => Object.fromEntries(keys.map((k) => [k.name, k.value]));
export const describeKeys = (keys: readonly KeyPart[]) => keys.map((k) => `${k.name}=${JSON.stringify(k.value)}`).join(", ");

/** Picks the version: `--version` (version id or event id), a prompt on a TTY, else the latest. */
async function pickVersion(deps: RestoreDeps, versions: ArchiveVersion[], wanted: string | undefined): Promise<ArchiveVersion> {
  const latest = versions[versions.length - 1] as ArchiveVersion;
  if (wanted !== undefined) {
    const found = versions.find((v) => v.versionId === wanted || v.eventId === wanted || `${v.deletedAt}_${v.eventId}` === wanted);
    if (!found) {
      throw notFoundError(
        `no archived version "${wanted}" of this item`,
        `known versions: ${versions.map((v) => v.versionId).join(", ")} (see \`trace archive list\`)`,
      );
    }
    return found;
  }
  if (versions.length === 1) return latest;
  const choices = [...versions].reverse().map((v) => ({ value: v, label: `${v.deletedAt}  ${v.deletionKind ?? "?"}  ${v.versionId}` }));
  const chosen = await deps.reporter.choose(`${versions.length} archived versions of this item; which one?`, choices, latest);
  if (chosen === latest)
    deps.reporter.info(`${versions.length} archived versions; restoring the latest (${latest.versionId}); pass --version to pick another`);
  return chosen;
}

/**
 * Restores one item: its latest archived version, or the one chosen. Refuses (conflict, exit 4)
 * to overwrite a live item unless `force`; `dryRun` only reports what would happen.
 */
export async function restoreItem(
  deps: RestoreDeps,
  options: RestoreTarget & { keys: readonly KeyPart[]; versionId?: string | undefined },
): Promise<RestoreResult> {
  const { keys, archived } = await orderKeyParts(deps, options.table, options.keys);
  const all = await listArchive(deps, { table: options.table, keys, archived, readBodies: true });
  const items = new Map<string, ArchiveVersion[]>();
  for (const v of all) items.set(itemIdentity(v), [...(items.get(itemIdentity(v)) ?? []), v]);
  if (items.size === 0) {
    throw notFoundError(`nothing archived for ${describeKeys(keys)} in table "${options.table}"`, "see `trace archive list --table <t>`");
  }
  if (items.size > 1) {
    const names = [...new Set(all.flatMap((v) => v.keys.map((k) => k.name)))].filter((n) => !keys.some((k) => k.name === n));
    throw usageError(
      `${describeKeys(keys)} matches ${items.size} archived items of table "${options.table}"`,
      `name the whole key: add --key ${names.map((n) => `${n}=<value>`).join(" --key ")}`,
    );
  }
  const versions = [...items.values()][0] as ArchiveVersion[];
  const version = await pickVersion(deps, versions, options.versionId);
  const toTable = options.toTable ?? options.table;
  const target = await describeTarget(deps, toTable);
  const prepared = prepare(version, target, options, deps.now?.() ?? new Date());
  const base = {
    table: options.table,
    toTable,
    keys: keyRecord(version.keys),
    versionId: version.versionId,
    deletedAt: version.deletedAt,
    deletionKind: version.deletionKind,
    versions: versions.length,
    ...(prepared.ttl ? { ttl: prepared.ttl } : {}),
  };
  if (options.dryRun) {
    const live = await isLive(deps, target, prepared.key);
    return { ...base, action: !live ? "would-restore" : options.force ? "would-overwrite" : "would-refuse-live" };
  }
  if (options.force && (await isLive(deps, target, prepared.key))) {
    // --force overwrites data: say what, and ask (without a terminal, --yes is the answer).
    deps.reporter.info(
      `a live item with ${describeKeys(version.keys)} exists in table "${toTable}"; --force overwrites it with version ${version.versionId} (deleted ${version.deletedAt})`,
    );
    if (!(await deps.reporter.confirm(`Overwrite the live item in ${toTable}?`, { default: false }))) {
      throw new TraceError(ErrorCode.declined, `restore declined; the live item in table "${toTable}" was not changed`);
    }
  }
  const outcome = await putItem(deps, target, prepared, Boolean(options.force));
  if (outcome === "live") {
    throw conflictError(
      `a live item with ${describeKeys(version.keys)} exists in table "${toTable}"; nothing was changed`,
      "pass --force to overwrite it with the archived version, or --to-table to restore elsewhere",
    );
  }
  return { ...base, action: outcome };
}
