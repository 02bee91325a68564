/**
 * The hops of `trace smoke`, each proving one path of the deployed wiring on the account with a
 * canary: a Configuration change reaches Audit (stream → mapping → audit_producer); the export
 * function runs with its role and key on the smoke's own day; each archived table's deletion
 * crosses stream → Pipe → bus → rule → archiver → S3, and restores; the schedule names the export.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { GetScheduleCommand, type GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import { listArchive } from "../archive/lister";
import type { KeyPart } from "../archive/object-key";
import { restoreItem } from "../archive/restore";
import { readAuditHistory } from "../audit/history";
import { getAlias } from "../deploy/aliases";
import { errorName, isUnavailable } from "../deploy/unavailable";
import { ErrorCode, TraceError } from "../errors";
import { unattended } from "../reporter";
import { type HopOutcome, waitFor } from "./smoke-support";
import type { SmokeContext } from "./smoke-types";

/**
 * The day the smoke exports: no record of the table can belong to it (records live for the
 * retention days), so its CSV is never a real day's, and the smoke deletes it afterwards.
 */
export const SMOKE_DAY = "2000-01-01";

/** The canary's key in each archivable seed table. */
export function canaryKeys(ctx: SmokeContext, seedTable: string): KeyPart[] {
  return [{ name: seedTable === "Configuration" ? "key" : "id", value: ctx.canary }];
}

export const physicalTable = (ctx: SmokeContext, seedTable: string) =>
  seedTable === "Configuration" ? ctx.names.configurationTable : ctx.names.trazabilidadTable;

/** Writes the two canaries: a Configuration key and a TRAZABILIDAD record of the smoke's day (expiring in an hour, should all else fail). */
export async function putCanaries(ctx: SmokeContext): Promise<void> {
  const { dynamodb } = ctx.clients;
  await dynamodb.send(
    new PutItemCommand({
      TableName: ctx.names.configurationTable,
      Item: { key: { S: ctx.canary }, value: { S: "trace smoke canary" }, smokeRun: { S: ctx.runId } },
    }),
  );
  await dynamodb.send(
    new PutItemCommand({
      TableName: ctx.names.trazabilidadTable,
      Item: {
        id: { S: ctx.canary },
        fecha: { S: SMOKE_DAY },
        estado: { S: "smoke" },
        dia: { S: SMOKE_DAY },
        expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
      },
    }),
  );
}

/** The canary's audit entries (none yet: empty). */
export async function auditEntries(ctx: SmokeContext) {
  try {
    return await readAuditHistory(ctx.clients.dynamodb, {
      tableName: ctx.names.auditTable,
      indexName: ctx.names.auditIndex,
      itemKey: ctx.canary,
    });
  } catch (error) {
    if (error instanceof TraceError && error.code === ErrorCode.notFound) return [];
    throw error;
  }
}

/** The Configuration canary's insertion has its audit entry. */
export async function auditHop(ctx: SmokeContext): Promise<HopOutcome> {
  const entry = await waitFor(ctx, async () => (await auditEntries(ctx)).find((e) => e.newValue && !e.updatedAttribute && !e.oldValue));
  if (!entry) return { verdict: "fail", detail: `no audit entry for ${ctx.canary} after ${ctx.timeoutMs / 1000} s` };
  return { verdict: "pass", detail: `Configuration change ${ctx.canary} audited (entry ${entry.id}, ${entry.modificationTime})` };
}

interface ExportInvocation {
  engine?: string;
  days?: { date?: string; rows?: number }[];
}

/** The export function, invoked through its alias on the smoke's day, wrote the canary's CSV with the data key. */
export async function exportHop(ctx: SmokeContext): Promise<HopOutcome> {
  const fn = ctx.names.functions.export;
  const result = (await ctx.driver.invoke(
    { functionName: fn.functionName, qualifier: fn.alias },
    { days: [SMOKE_DAY] },
  )) as ExportInvocation;
  const day = result?.days?.find((d) => d.date === SMOKE_DAY);
  if (!day) return { verdict: "fail", detail: `the export answered without the day ${SMOKE_DAY}: ${JSON.stringify(result)}` };
  const table = ctx.names.trazabilidadTable;
  const key = `exports/${table}/dt=${SMOKE_DAY}/${table}_${SMOKE_DAY}.csv`;
  const object = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.names.bucket, Key: key }));
  const csv = (await object.Body?.transformToString()) ?? "";
  if (!csv.includes(ctx.canary))
    return { verdict: "fail", detail: `s3://${ctx.names.bucket}/${key} does not hold the canary ${ctx.canary}` };
  return {
    verdict: "pass",
    detail: `${fn.functionName}:${fn.alias} exported ${day.rows} row(s) of ${SMOKE_DAY}, the canary among them, to ${key} (${object.ServerSideEncryption ?? "unencrypted"}${object.SSEKMSKeyId ? ` with ${object.SSEKMSKeyId}` : ""})`,
  };
}

/** Deletes a canary (each deletion is one more archived version to wait for and purge). */
export async function deleteCanary(ctx: SmokeContext, seedTable: string, deletions: Record<string, number>): Promise<void> {
  const keys = canaryKeys(ctx, seedTable);
  await ctx.clients.dynamodb.send(
    new DeleteItemCommand({ TableName: physicalTable(ctx, seedTable), Key: { [keys[0]?.name ?? "id"]: { S: ctx.canary } } }),
  );
  deletions[seedTable] = (deletions[seedTable] ?? 0) + 1;
}

/** The canary's archived versions in one table. */
export const archivedVersions = (ctx: SmokeContext, seedTable: string) =>
  listArchive(
    { s3: ctx.clients.s3, bucket: ctx.names.bucket, signal: ctx.signal },
    { table: physicalTable(ctx, seedTable), keys: canaryKeys(ctx, seedTable), readBodies: false },
  );

/** The canary's deletion from one archived table reached the archive (Pipe, bus, rule, archiver, S3). */
export async function archiveHop(ctx: SmokeContext, seedTable: string, expected: number): Promise<HopOutcome> {
  const found = await waitFor(ctx, async () => {
    const versions = await archivedVersions(ctx, seedTable);
    return versions.length >= expected ? versions : undefined;
  });
  if (!found)
    return {
      verdict: "fail",
      detail: `the deletion of ${ctx.canary} from ${physicalTable(ctx, seedTable)} was not archived after ${ctx.timeoutMs / 1000} s`,
    };
  return { verdict: "pass", detail: `deletion archived: s3://${ctx.names.bucket}/${found.at(-1)?.objectKey}` };
}

/** The archived canary restores into its table, as it was. */
export async function restoreHop(ctx: SmokeContext, seedTable: string): Promise<HopOutcome> {
  const restored = await restoreItem(
    {
      s3: ctx.clients.s3,
      bucket: ctx.names.bucket,
      signal: ctx.signal,
      dynamodb: ctx.clients.dynamodb,
      reporter: unattended(ctx.reporter),
    },
    { table: physicalTable(ctx, seedTable), keys: canaryKeys(ctx, seedTable), retentionDays: ctx.env.retentionDays },
  );
  const keys = canaryKeys(ctx, seedTable);
  const { Item } = await ctx.clients.dynamodb.send(
    new GetItemCommand({
      TableName: physicalTable(ctx, seedTable),
      Key: { [keys[0]?.name ?? "id"]: { S: ctx.canary } },
      ConsistentRead: true,
    }),
  );
  if (!Item)
    return { verdict: "fail", detail: `restore said ${restored.action}, but ${ctx.canary} is not in ${physicalTable(ctx, seedTable)}` };
  return { verdict: "pass", detail: `${ctx.canary} restored into ${physicalTable(ctx, seedTable)} from the archive` };
}

/** The export schedule exists, is enabled, and invokes the export function's alias at the export hour in the business time zone. */
export async function scheduleHop(ctx: SmokeContext): Promise<HopOutcome> {
  const name = ctx.names.scheduleName;
  if (!name) return { verdict: "fail", detail: "the traceability template names no schedule" };
  let schedule: GetScheduleCommandOutput;
  try {
    schedule = await ctx.clients.scheduler.send(new GetScheduleCommand({ Name: name }), { abortSignal: ctx.signal });
  } catch (error) {
    if (ctx.driver.emulator && (isUnavailable(error) || errorName(error) === "ResourceNotFoundException"))
      return { verdict: "skip", detail: `no schedule ${name}: the emulator's CloudFormation does not create AWS::Scheduler::Schedule` };
    throw error;
  }
  const fn = ctx.names.functions.export;
  const alias = await getAlias(ctx.clients.lambda, fn.functionName, fn.alias, ctx.signal);
  const expression = `cron(0 ${ctx.env.exportHour} * * ? *)`;
  const problems = [
    schedule.State !== "ENABLED" && `it is ${schedule.State}`,
    schedule.Target?.Arn !== alias?.AliasArn &&
      `its target is ${schedule.Target?.Arn}, not ${alias?.AliasArn ?? `${fn.functionName}:${fn.alias}`}`,
    schedule.ScheduleExpression !== expression && `it runs at ${schedule.ScheduleExpression}, not ${expression}`,
    schedule.ScheduleExpressionTimezone !== ctx.env.timeZone &&
      `its time zone is ${schedule.ScheduleExpressionTimezone}, not ${ctx.env.timeZone}`,
  ].filter((p): p is string => typeof p === "string");
  if (problems.length > 0) return { verdict: "fail", detail: `schedule ${name}: ${problems.join("; ")}` };
  return { verdict: "pass", detail: `schedule ${name} is enabled: ${expression} ${ctx.env.timeZone} → ${schedule.Target?.Arn}` };
}
