/**
 * The local demo: every job of the system, end to end, on the emulator. Deploys the stacks,
 * writes a realistic business day of traceability records and a few configuration changes,
 * feeds the streams to the deployed handlers, exports today's CSV, reads a key's audit history,
 * deletes an item and restores it from the archive. Re-runnable: every step is idempotent or
 * replaces its previous result.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateContinuousBackupsCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { archiveRestore } from "../core/archive/operations";
import type { RestoreResult } from "../core/archive/restore";
import type { AuditEntry } from "../core/audit/entries";
import { readAuditHistory } from "../core/audit/history";
import type { AwsClients } from "../core/aws/clients";
import type { ResolvedEnvironment } from "../core/config";
import { type DeployHooks, deploy } from "../core/deploy/deploy";
import { ErrorCode, TraceError } from "../core/errors";
import { addDays, today } from "../core/export/day-window";
import { exportDays } from "../core/export/export-days";
import type { ExportManifest } from "../core/export/manifest";
import { type Reporter, unattended } from "../core/reporter";
import { resolveOutputs } from "../core/resources";
import { sleep } from "../core/sleep";
import { demoConfigurationChanges, demoTraceabilityRecords } from "./demo-data";
import { type LocalHandlers, runLocalStreams } from "./streams-run";
import { applyIgnoredTableSettings } from "./template-gaps";

export interface DemoOptions {
  clients: AwsClients;
  env: ResolvedEnvironment;
  root: string;
  templatesDir: string;
  handlers: LocalHandlers;
  reporter: Reporter;
  signal: AbortSignal;
  /** Traceability records to write (default 120). */
  records?: number;
  /** Shows the Lambda bundles the deploy step builds (the CLI prints a line per bundle). */
  bundled?: DeployHooks["bundled"];
  /** Pause between configuration writes, so each lands in its own second (stream times have 1 s precision). */
  configPauseMs?: number;
}

export interface DemoResult {
  endpoint: string | undefined;
  tables: { trazabilidad: string; configuration: string; audit: string };
  bucket: string;
  records: number;
  export: ExportManifest;
  auditKey: string;
  auditHistory: AuditEntry[];
  deletedItem: Record<string, AttributeValue>;
  restore: RestoreResult;
  /** The restored item read back equals the item before deletion, attribute by attribute. */
  restoredEqual: boolean;
}

/** The demo's configuration key whose history is shown. */
export const DEMO_AUDIT_KEY = "CACHE_TTL_SEC";

async function writeAll(clients: AwsClients, table: string, items: Record<string, AttributeValue>[], signal: AbortSignal) {
  for (let i = 0; i < items.length; i += 25) {
    let pending: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    // BatchWriteItem may hand back unprocessed items under load; resend them until none remain.
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new TraceError(ErrorCode.throttled, `could not write ${pending.length} demo record(s) to ${table}`);
      const result = await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }), {
        abortSignal: signal,
      });
      pending = result.UnprocessedItems?.[table] ?? [];
      if (pending.length > 0) await sleep(50 * 2 ** attempt, signal);
    }
  }
}

/** Runs the demo against the (local) environment's emulator; see the module comment for the steps. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { clients, env, reporter, signal } = options;
  // The demo drives the local emulator only, so it answers its own confirmations.
  const quiet = unattended(reporter);

  reporter.info("1/7 deploying every stack to the emulator…");
  await clients.loadMore(); // Lambda: the functions' aliases
  const deployed = await deploy({
    env,
    cloudformation: clients.cloudformation,
    cloudformationIn: (region) => clients.cloudformationIn(region),
    s3: clients.s3,
    stacks: [],
    templatesDir: options.templatesDir,
    root: options.root,
    execute: true,
    reporter: quiet,
    signal,
    lambda: clients.lambda,
    // Change sets and stack events are `trace deploy`'s business; the demo only says it deployed.
    hooks: { changeSet: () => {}, event: () => {}, bundled: options.bundled },
  });
  await applyIgnoredTableSettings(clients, options.templatesDir, deployed.stacks);
  const outputs = await resolveOutputs(clients.cloudformation, env, [
    "TrazabilidadTableName",
    "ConfigurationTableName",
    "AuditTableName",
    "AuditHistoryIndexName",
    "DataBucketName",
    "DataKeyArn",
  ]);
  await turnOnPointInTimeRecovery(clients, [outputs.TrazabilidadTableName, outputs.ConfigurationTableName, outputs.AuditTableName], signal);

  const day = today(env.timeZone);
  const records = demoTraceabilityRecords({ day, timeZone: env.timeZone, count: options.records ?? 120, retentionDays: env.retentionDays });
  reporter.info(`2/7 writing ${records.length} traceability records for ${day} (${env.timeZone}) and configuration changes…`);
  await writeAll(clients, outputs.TrazabilidadTableName, records, signal);
  await writeConfigurationChanges(options, outputs.ConfigurationTableName);

  reporter.info("3/7 feeding the stream records to audit_producer and the archiver (trace local streams)…");
  await feedStreams(options);

  // As the 19:00 run does: today so far and the day before (so `trace health` finds the run's day).
  reporter.info(`4/7 exporting ${addDays(day, -1)} and ${day}…`);
  const [, manifest] = await exportDays(
    { dynamodb: clients.dynamodb, s3: clients.s3 },
    {
      table: outputs.TrazabilidadTableName,
      days: [addDays(day, -1), day],
      timeZone: env.timeZone,
      segments: env.exportSegments,
      target: { kind: "s3", bucket: outputs.DataBucketName, kmsKeyId: outputs.DataKeyArn },
    },
    reporter,
    signal,
  );
  if (!manifest) throw new TraceError(ErrorCode.failed, `the export of ${day} produced no manifest`);

  reporter.info(`5/7 reading the audit history of ${DEMO_AUDIT_KEY}…`);
  const auditHistory = await readAuditHistory(
    clients.dynamodb,
    { tableName: outputs.AuditTableName, indexName: outputs.AuditHistoryIndexName, itemKey: DEMO_AUDIT_KEY, limit: 10 },
    signal,
  );

  const victim = records[Math.floor(records.length / 2)];
  const { before, restored, after } = await deleteAndRestore(options, quiet, outputs, { id: victim?.id ?? { S: "?" } });
  return {
    endpoint: env.endpointUrl,
    tables: { trazabilidad: outputs.TrazabilidadTableName, configuration: outputs.ConfigurationTableName, audit: outputs.AuditTableName },
    bucket: outputs.DataBucketName,
    records: records.length,
    export: manifest,
    auditKey: DEMO_AUDIT_KEY,
    auditHistory,
    deletedItem: before,
    restore: restored,
    restoredEqual: JSON.stringify(sortKeys(after)) === JSON.stringify(sortKeys(before)),
  };
}

/**
 * The templates turn point-in-time recovery on for every table; moto's CloudFormation accepts the
 * property without applying it (docs/deploy.md), so the demo applies it through the API, as the
 * deployed stacks have it on AWS (and `trace drill` needs it).
 */
async function turnOnPointInTimeRecovery(clients: AwsClients, tables: readonly string[], signal: AbortSignal): Promise<void> {
  for (const table of tables) {
    await clients.dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      { abortSignal: signal },
    );
  }
}

/** The demo's configuration changes, one a second (stream times have 1 s precision). */
async function writeConfigurationChanges(options: DemoOptions, table: string): Promise<void> {
  const { clients, signal } = options;
  for (const change of demoConfigurationChanges()) {
    if (change.kind === "put") {
      await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: change.item }), {
        abortSignal: signal,
      });
    } else {
      await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { key: { S: change.key } } }), {
        abortSignal: signal,
      });
    }
    await sleep(options.configPauseMs ?? 1100, signal);
  }
}

/** One pass of `trace local streams`: the stream records so far go to the audit and archive handlers. */
async function feedStreams(options: DemoOptions): Promise<void> {
  const { clients, env, reporter, signal } = options;
  await runLocalStreams({
    clients,
    env,
    root: options.root,
    templatesDir: options.templatesDir,
    handlers: options.handlers,
    reporter,
    signal,
  });
}

/** Steps 6 and 7: deletes one record, archives the deletion, restores it; the item before and after. */
async function deleteAndRestore(
  options: DemoOptions,
  quiet: Reporter,
  outputs: Record<"TrazabilidadTableName" | "DataBucketName", string>,
  victimKey: { id: AttributeValue },
): Promise<{ before: Record<string, AttributeValue>; restored: RestoreResult; after: Record<string, AttributeValue> | undefined }> {
  const { clients, env, reporter, signal } = options;
  const before = await clients.dynamodb.send(
    new GetItemCommand({ TableName: outputs.TrazabilidadTableName, Key: victimKey, ConsistentRead: true }),
  );
  if (!before.Item) throw new TraceError(ErrorCode.failed, `demo record ${victimKey.id.S} is missing before its deletion`);
  reporter.info(`6/7 deleting ${victimKey.id.S} and archiving the deletion…`);
  await clients.dynamodb.send(new DeleteItemCommand({ TableName: outputs.TrazabilidadTableName, Key: victimKey }), { abortSignal: signal });
  await feedStreams(options);

  reporter.info(`7/7 restoring ${victimKey.id.S} from the archive…`);
  const restored = await archiveRestore(
    { clients: async () => clients, env: () => env, reporter: quiet, signal, bucket: outputs.DataBucketName },
    {
      table: outputs.TrazabilidadTableName,
      keys: [{ name: "id", value: victimKey.id.S ?? "" }],
      dryRun: false,
      force: false,
      keepTtl: false,
    },
  );
  if (restored.mode !== "item") throw new TraceError(ErrorCode.failed, "the demo restore did not restore one item");
  const after = await clients.dynamodb.send(
    new GetItemCommand({ TableName: outputs.TrazabilidadTableName, Key: victimKey, ConsistentRead: true }),
  );
  return { before: before.Item, restored, after: after.Item };
}

function sortKeys(item: Record<string, AttributeValue> | undefined): unknown {
  return item ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))) : undefined;
}
