/**
 * What `trace smoke` leaves behind: nothing. Its canaries are deleted; once what their deletions
 * set in motion has landed (when the hop that carries it passed), their audit entries, every
 * archived version and the smoke day's export objects (all versions, delete markers included) are
 * deleted too, then each place is looked at again.
 */
import { DeleteItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DeleteObjectsCommand, ListObjectVersionsCommand, type ObjectIdentifier } from "@aws-sdk/client-s3";
import { purgeItem } from "../archive/purge";
import { unattended } from "../reporter";
import { archivedVersions, auditEntries, canaryKeys, deleteCanary, physicalTable, SMOKE_DAY } from "./hops";
import { type HopOutcome, waitFor } from "./smoke-support";
import type { SmokeContext } from "./smoke-types";

/** What the run did that cleanup must account for. */
export interface SmokeState {
  /** Deletions of each canary so far (each one more archived version and audit entry). */
  deletions: Record<string, number>;
  /** Insertions of the Configuration canary (the put, and a restore). */
  configurationWrites: number;
  /** The hops that passed: only their aftermath is waited for. */
  passed: Set<string>;
}

async function exportObjects(ctx: SmokeContext): Promise<ObjectIdentifier[]> {
  const prefix = `exports/${ctx.names.trazabilidadTable}/dt=${SMOKE_DAY}/`;
  const page = await ctx.clients.s3.send(new ListObjectVersionsCommand({ Bucket: ctx.names.bucket, Prefix: prefix }));
  return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
}

async function canaryItem(ctx: SmokeContext, seedTable: string): Promise<boolean> {
  const [key] = canaryKeys(ctx, seedTable);
  const { Item } = await ctx.clients.dynamodb.send(
    new GetItemCommand({ TableName: physicalTable(ctx, seedTable), Key: { [key?.name ?? "id"]: { S: ctx.canary } }, ConsistentRead: true }),
  );
  return Item !== undefined;
}

/** Deletes every trace of the canaries, then says what (if anything) is left. */
export async function cleanup(ctx: SmokeContext, state: SmokeState, archived: readonly string[]): Promise<HopOutcome> {
  for (const table of ["Configuration", "TRAZABILIDAD"]) if (await canaryItem(ctx, table)) await deleteCanary(ctx, table, state.deletions);
  // Wait for what the deletions set in motion, where that path works, so nothing lands after the purge.
  for (const table of archived.filter((t) => state.passed.has(`archive ${t}`))) {
    const expected = state.deletions[table] ?? 0;
    await waitFor(ctx, async () => ((await archivedVersions(ctx, table)).length >= expected ? true : undefined));
  }
  if (state.passed.has("audit")) {
    const expected = state.configurationWrites + (state.deletions.Configuration ?? 0);
    await waitFor(ctx, async () => ((await auditEntries(ctx)).length >= expected ? true : undefined));
  }
  for (const entry of await auditEntries(ctx))
    await ctx.clients.dynamodb.send(new DeleteItemCommand({ TableName: ctx.names.auditTable, Key: { id: { S: entry.id } } }));
  const store = { s3: ctx.clients.s3, bucket: ctx.names.bucket, signal: ctx.signal, reporter: unattended(ctx.reporter) };
  for (const table of archived)
    if ((await archivedVersions(ctx, table)).length > 0)
      await purgeItem(store, { table: physicalTable(ctx, table), keys: canaryKeys(ctx, table) });
  const objects = await exportObjects(ctx);
  if (objects.length > 0)
    await ctx.clients.s3.send(new DeleteObjectsCommand({ Bucket: ctx.names.bucket, Delete: { Objects: objects, Quiet: true } }));
  return leftovers(ctx, archived);
}

/** Looks again everywhere a canary went. */
async function leftovers(ctx: SmokeContext, archived: readonly string[]): Promise<HopOutcome> {
  const left: string[] = [];
  for (const table of ["Configuration", "TRAZABILIDAD"])
    if (await canaryItem(ctx, table)) left.push(`item ${ctx.canary} in ${physicalTable(ctx, table)}`);
  const entries = await auditEntries(ctx);
  if (entries.length > 0) left.push(`${entries.length} audit entr${entries.length === 1 ? "y" : "ies"} in ${ctx.names.auditTable}`);
  for (const table of archived) {
    const versions = await archivedVersions(ctx, table);
    if (versions.length > 0) left.push(`${versions.length} archived version(s) under archive/${physicalTable(ctx, table)}/`);
  }
  const objects = await exportObjects(ctx);
  if (objects.length > 0) left.push(`${objects.length} object version(s) under exports/…/dt=${SMOKE_DAY}/`);
  if (left.length > 0) return { verdict: "fail", detail: `left behind: ${left.join("; ")}` };
  return { verdict: "pass", detail: `no canary left (items, audit entries, archived versions, the ${SMOKE_DAY} export)` };
}
