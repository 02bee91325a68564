/**
 * The audit trail's operator entry points, one per `trace audit` subcommand, the same shape as
 * the archive's and the export's: settings (clients, environment, reporter, signal) and the raw
 * request; they validate it before touching AWS, resolve the Audit table and its history index
 * (stack outputs or flags), read, and return what the CLI renders.
 */
import type { AwsClients } from "../aws/clients";
import type { ResolvedEnvironment } from "../config";
import { usageError } from "../errors";
import type { Reporter } from "../reporter";
import { resolveOutputs } from "../resources";
import { isoWindow, parseTimeWindow } from "../time-bounds";
import type { AuditEntry } from "./entries";
import { type AuditedKey, type AuditTables, listAuditedKeys, readAuditHistory } from "./history";
import { type AuditRedriveReport, redriveAuditFailures } from "./redrive";

export interface AuditSettings {
  /** Called once the request is validated, so a usage error never waits for AWS settings. */
  clients: () => Promise<Pick<AwsClients, "dynamodb" | "cloudformation">>;
  env: () => Pick<ResolvedEnvironment, "stage">;
  reporter: Reporter;
  signal: AbortSignal;
}

/** `--audit-table` / `--index`: override the audit stack's outputs. */
export interface AuditTableFlags {
  auditTable?: string | undefined;
  index?: string | undefined;
}

export interface AuditShowRequest extends AuditTableFlags {
  key: string;
  since?: string | undefined;
  until?: string | undefined;
  limit?: string | undefined;
}

/** `--limit`: a positive whole number, or undefined when not given. */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw usageError(`--limit ${JSON.stringify(text)} is not a positive whole number`, "pass e.g. --limit 20");
  }
  return Number(text);
}

async function auditTables(settings: AuditSettings, flags: AuditTableFlags) {
  const clients = await settings.clients();
  const names = await resolveOutputs(
    clients.cloudformation,
    settings.env(),
    ["AuditTableName", "AuditHistoryIndexName"],
    { AuditTableName: flags.auditTable, AuditHistoryIndexName: flags.index },
    { AuditTableName: "--audit-table", AuditHistoryIndexName: "--index" },
  );
  const tables: AuditTables = { tableName: names.AuditTableName, indexName: names.AuditHistoryIndexName };
  return { clients, tables };
}

/** `trace audit show`: a key's entries, newest first, within the time window and the limit. */
export async function auditShow(settings: AuditSettings, request: AuditShowRequest): Promise<AuditEntry[]> {
  const { since, until } = isoWindow(parseTimeWindow(request));
  const limit = parseLimit(request.limit);
  const { clients, tables } = await auditTables(settings, request);
  return readAuditHistory(clients.dynamodb, { ...tables, itemKey: request.key, since, until, limit }, settings.signal);
}

/** `trace audit keys`: every audited key with its number of changes and its last change. */
export async function auditKeys(settings: AuditSettings, flags: AuditTableFlags): Promise<{ tableName: string; keys: AuditedKey[] }> {
  const { clients, tables } = await auditTables(settings, flags);
  return { tableName: tables.tableName, keys: await listAuditedKeys(clients.dynamodb, tables, settings.reporter, settings.signal) };
}

export interface AuditRedriveSettings extends Omit<AuditSettings, "clients"> {
  clients: () => Promise<Pick<AwsClients, "dynamodb" | "cloudformation" | "s3" | "streams" | "loadMore">>;
  /** `--bucket`: overrides the base stack's DataBucketName (the mapping's on-failure bucket). */
  bucket?: string | undefined;
  auditTable?: string | undefined;
}

/** `trace audit redrive`: the entries of the Configuration batches kept in the on-failure bucket. */
export async function auditRedrive(settings: AuditRedriveSettings): Promise<AuditRedriveReport> {
  const clients = await settings.clients();
  await clients.loadMore();
  const outputs = await resolveOutputs(
    clients.cloudformation,
    settings.env(),
    ["DataBucketName", "AuditTableName", "ConfigurationStreamArn"],
    { DataBucketName: settings.bucket, AuditTableName: settings.auditTable },
    { DataBucketName: "--bucket", AuditTableName: "--audit-table" },
  );
  return redriveAuditFailures({
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    streams: clients.streams,
    bucket: outputs.DataBucketName,
    auditTableName: outputs.AuditTableName,
    streamArn: outputs.ConfigurationStreamArn,
    reporter: settings.reporter,
    signal: settings.signal,
  });
}
