/**
 * `trace drill`: restore a table to a scratch table, check it against its source, report the RPO
 * achieved and the RTO measured, and delete the scratch table. The steps:
 * 1. the source's key schema and TTL; the recovery (point in time, the newest backup, the newest
 *    copy in the DR region, or a table restored before) and the RPO it shows;
 * 2. the reference: every source item's digest, read strongly consistent, and the last exported
 *    day exported again from the source (scan, one segment) to a local file;
 * 3. the restore, to the instant the reference read ended (a default point-in-time drill) or to
 *    the recovery's own time; then waiting for the table (the RTO);
 * 4. every restored item against the reference; each difference re-read on both sides, and, when
 *    the reference is the source as it is now, accounted for only by the rules of explain.ts;
 * 5. the day exported from the restored table the same way, its sha256 against the source's;
 * 6. the scratch table deleted (unless --keep), and the report.
 */
import { rm } from "node:fs/promises";
import { isAbortError } from "../errors";
import { workDir } from "./day";
import { conclude, type Drill, type DrillSettings, dayToCheck, readSource, restore } from "./phases";
import { type DrillRawRequest, planDrill } from "./plan";
import { chooseRecovery } from "./recovery";
import type { DrillReport } from "./report";
import { deleteScratch } from "./restore";
import { describeSource } from "./source";

export type { DrillSettings } from "./phases";

/** Runs the drill the flags ask for; see the module comment. Returns the report (check `passed`). */
export async function runDrill(settings: DrillSettings, request: DrillRawRequest): Promise<DrillReport> {
  const now = settings.now ?? Date.now;
  const startedAt = now();
  const plan = planDrill(request, startedAt);
  const env = settings.env();
  const clients = await settings.clients();
  const source = await describeSource(clients, env, plan.table, settings.signal);
  const recovery = await chooseRecovery({
    plan,
    env,
    table: source.table,
    tableArn: source.arn,
    clients: settings.regionClients,
    now: startedAt,
    signal: settings.signal,
  });
  const manifest = await dayToCheck(clients, env, source, recovery, settings);
  const drill: Drill = {
    settings,
    plan,
    env,
    source,
    recovery,
    target: await settings.regionClients(recovery.region),
    scratch: plan.restored ?? scratchName(source.table, startedAt),
    startedAt,
    manifest,
    dir: await workDir(),
  };
  try {
    return await rehearse(drill);
  } finally {
    await rm(drill.dir, { recursive: true, force: true });
  }
}

async function rehearse(drill: Drill): Promise<DrillReport> {
  const { settings, recovery } = drill;
  const now = settings.now ?? Date.now;
  const read = await readSource(drill);
  // The default drill restores to the instant its read of the source ended (PITR works in whole seconds).
  const restorePoint = recovery.restorePoint ?? new Date(Math.ceil(now() / 1000) * 1000);
  // Once the restore is accepted the scratch table exists (or will): from then on it must go, or be named.
  let begun = false;
  try {
    const restored = drill.plan.restored
      ? undefined
      : await restore(drill, restorePoint, () => {
          begun = true;
        });
    return await conclude(drill, read, restorePoint, restored);
  } catch (error) {
    if (begun && !drill.plan.keep) {
      // A table still being restored cannot be deleted (nor after Ctrl-C, which must end at once).
      const deleted =
        !isAbortError(error) &&
        (await deleteScratch(drill.target.dynamodb, drill.scratch).then(
          () => true,
          () => false,
        ));
      if (!deleted)
        settings.reporter.warn(
          `the scratch table ${drill.scratch} is left behind: delete it once ACTIVE (aws dynamodb delete-table --table-name ${drill.scratch})`,
        );
    }
    throw error;
  }
}

/** `<table>-drill-<yyyymmddhhmmss>` (UTC): a new name each run, within DynamoDB's 255 characters. */
export function scratchName(table: string, now: number): string {
  return `${table}-drill-${new Date(now).toISOString().replace(/[-:T]/g, "").slice(0, 14)}`;
}
