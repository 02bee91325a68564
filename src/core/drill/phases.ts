/**
 * The steps of a drill, each on the drill's context (see run.ts for the order): reading the source,
 * restoring, comparing, exporting the day, cleaning up and the report's parts. `trace drill` runs
 * them in one process; the scheduled run (steps.ts) runs them across a state machine's tasks.
 */
import type { AwsClients } from "../aws/clients";
import type { RegionClients } from "../aws/regional";
import type { ResolvedEnvironment } from "../config";
import { dayInZone } from "../export/day-window";
import type { ExportManifest } from "../export/manifest";
import type { Reporter } from "../reporter";
import { resolveOutputs } from "../resources";
import { type Comparison, compareRestored, readReference } from "./compare";
import { type DayCopy, exportDayCopy, lastExportedDay } from "./day";
import { type ExplainRules, writeTimeRule } from "./explain";
import type { DrillPlan } from "./plan";
import type { Recovery } from "./recovery";
import type { DrillReport } from "./report";
import { deleteScratch, startRestore, type Timing, waitForRestore } from "./restore";
import type { SourceTable } from "./source";
import { type AssembleInput, assemble, settle } from "./verdict";

export type DrillEnv = Pick<
  ResolvedEnvironment,
  | "name"
  | "stage"
  | "region"
  | "prefix"
  | "timeZone"
  | "lateWriteSlackMinutes"
  | "retentionDays"
  | "exportSegments"
  | "backups"
  | "drRegion"
>;

export interface DrillSettings {
  /** The environment region's clients (DynamoDB, S3, CloudFormation). */
  clients: () => Promise<Pick<AwsClients, "dynamodb" | "s3" | "cloudformation">>;
  env: () => DrillEnv;
  /** Clients of a region (the environment's, or the DR region), AWS Backup's built on demand. */
  regionClients: (region: string) => Promise<RegionClients>;
  reporter: Reporter;
  signal: AbortSignal;
  now?: () => number;
  timing?: Timing;
  /** The data bucket, when known (the scheduled run); else the base stack's DataBucketName. */
  bucket?: string;
}

/** What the drill carries from step to step. */
export interface Drill {
  settings: DrillSettings;
  plan: DrillPlan;
  env: DrillEnv;
  source: SourceTable;
  recovery: Recovery;
  target: RegionClients;
  scratch: string;
  startedAt: number;
  manifest: ExportManifest | undefined;
  dir: string;
}

/**
 * Steps 4 to 6 for a restored (or given) scratch table: compare it with the reference, settle the
 * differences, export the day from it, delete it (unless kept) and assemble the report. Shared by
 * `trace drill` and the scheduled run's last step.
 */
export async function conclude(drill: Drill, read: SourceRead, restorePoint: Date, restored: Restored | undefined): Promise<DrillReport> {
  const { settings } = drill;
  const comparison = await compare(drill, read.reference);
  const settled = await settle({
    source: { dynamodb: (await settings.clients()).dynamodb, table: drill.source.table },
    restored: { dynamodb: drill.target.dynamodb, table: drill.scratch },
    keys: drill.source.keys,
    differences: comparison.differences,
    rules: referenceOf(drill) === "source-now" ? rulesOf(drill, restorePoint) : undefined,
    signal: settings.signal,
  });
  const restoredDay = read.sourceDay ? await exportDay(drill, "restored") : undefined;
  const scratch = await cleanUp(drill, restored);
  return assemble({
    base: baseReport(drill, restorePoint, restored, scratch),
    sourceCount: read.count,
    comparison,
    settled,
    manifest: drill.manifest,
    sourceDay: read.sourceDay,
    restoredDay,
    restoreSummary: restoreSummary(drill, restorePoint, restored),
  });
}

/** What the reference read leaves: a digest per key, the count, the source's copy of the day. */
export interface SourceRead {
  reference: Map<string, string>;
  count: number;
  sourceDay: DayCopy | undefined;
}

export interface Restored {
  requestedAt: number;
  startedAt: number;
  activeAt: number;
}

/** Read just before the restore point (the default point-in-time drill), or the source as it is now. */
export const referenceOf = (drill: Drill): DrillReport["reference"] =>
  drill.recovery.kind === "pitr" && drill.plan.at === undefined ? "source-before-restore" : "source-now";

function rulesOf(drill: Drill, restorePoint: Date): ExplainRules {
  return {
    restorePoint: restorePoint.getTime(),
    now: (drill.settings.now ?? Date.now)(),
    ttlAttribute: drill.source.ttlAttribute,
    writeTime: writeTimeRule(drill.source.seed, drill.env.timeZone),
    slackMs: drill.env.lateWriteSlackMinutes * 60_000,
  };
}

/** Step 6: the scratch table goes, unless kept (--keep) or not the drill's (--restored). */
async function cleanUp(drill: Drill, restored: Restored | undefined): Promise<DrillReport["scratch"]> {
  if (!restored || drill.plan.keep) return restored || drill.plan.restored ? "kept" : "not-created";
  await deleteScratch(drill.target.dynamodb, drill.scratch);
  return "deleted";
}

function restoreSummary(drill: Drill, restorePoint: Date, restored: Restored | undefined): string {
  if (!restored) return `${drill.scratch} was restored before (restore point ${restorePoint.toISOString()}); checked as it is`;
  const seconds = Math.round((restored.activeAt - restored.startedAt) / 1000);
  return `restored ${drill.source.table} from ${drill.recovery.where} to ${restorePoint.toISOString()} into ${drill.scratch} (${drill.recovery.region}) in ${seconds} s`;
}

function baseReport(
  drill: Drill,
  restorePoint: Date,
  restored: Restored | undefined,
  scratch: DrillReport["scratch"],
): AssembleInput["base"] {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const { recovery } = drill;
  return {
    schemaVersion: 1,
    environment: drill.env.name,
    table: drill.source.table,
    region: drill.env.region,
    scratchTable: drill.scratch,
    scratchRegion: recovery.region,
    source: { kind: recovery.kind, recoveryPoint: recovery.recoveryPoint, where: recovery.where },
    restorePoint: restorePoint.toISOString(),
    reference: referenceOf(drill),
    rpo: recovery.rpo,
    rto: {
      seconds: restored ? Math.round((restored.activeAt - restored.startedAt) / 1000) : null,
      startedAt: iso(restored?.startedAt),
      activeAt: iso(restored?.activeAt),
      waitedForRestorableSeconds: restored ? Math.round((restored.startedAt - restored.requestedAt) / 1000) : null,
    },
    scratch,
    durationSeconds: Math.round(((drill.settings.now ?? Date.now)() - drill.startedAt) / 1000),
  };
}

/** Step 2: the reference, and the source's copy of the day. */
export async function readSource(drill: Drill): Promise<SourceRead> {
  const { settings, source, env } = drill;
  const clients = await settings.clients();
  const progress = settings.reporter.progress(`reading ${source.table}…`);
  try {
    const { reference, count } = await readReference(
      {
        dynamodb: clients.dynamodb,
        table: source.table,
        segments: env.exportSegments,
        signal: settings.signal,
        onProgress: (n) => progress.update(`reading ${source.table}: ${n.toLocaleString("en-US")} items`),
      },
      source.keys,
    );
    progress.succeed(`read ${count.toLocaleString("en-US")} items of ${source.table}`);
    const sourceDay = drill.manifest ? await exportDay(drill, "source") : undefined;
    return { reference, count, sourceDay };
  } catch (error) {
    progress.fail();
    throw error;
  }
}

/** Step 3: restore and wait; the RTO is the time from the accepted request to the ACTIVE table. */
export async function restore(drill: Drill, restorePoint: Date, onStarted: () => void = () => {}): Promise<Restored> {
  const { settings, recovery, target, scratch } = drill;
  const source = recovery.source ?? { kind: "pitr" as const, restoreDateTime: restorePoint };
  settings.reporter.info(
    `restoring ${drill.source.table} (${recovery.where}, ${restorePoint.toISOString()}) into ${scratch} in ${recovery.region}…`,
  );
  const backup = source.kind === "aws-backup" ? await target.backup() : undefined;
  const started = await startRestore({ dynamodb: target.dynamodb, backup }, source, drill.source.table, scratch, settings.signal, {
    ...settings.timing,
    timeoutMs: drill.plan.timeoutMs,
  });
  onStarted();
  const progress = settings.reporter.progress(`restoring ${scratch}…`);
  try {
    const activeAt = await waitForRestore({ dynamodb: target.dynamodb, backup }, scratch, started, progress, settings.signal, {
      ...settings.timing,
      timeoutMs: drill.plan.timeoutMs,
    });
    progress.succeed(`${scratch} is ACTIVE after ${Math.round((activeAt - started.startedAt) / 1000)} s`);
    return { ...started, activeAt };
  } catch (error) {
    progress.fail();
    throw error;
  }
}

/** Step 4: every restored item against the reference. */
async function compare(drill: Drill, reference: Map<string, string>): Promise<Comparison> {
  const { settings, target, scratch, env } = drill;
  const progress = settings.reporter.progress(`comparing ${scratch}…`);
  try {
    const comparison = await compareRestored(
      {
        dynamodb: target.dynamodb,
        table: scratch,
        segments: env.exportSegments,
        signal: settings.signal,
        onProgress: (n) => progress.update(`comparing ${scratch}: ${n.toLocaleString("en-US")} items`),
      },
      drill.source.keys,
      reference,
    );
    progress.succeed(`compared ${comparison.restoredCount.toLocaleString("en-US")} items of ${scratch}`);
    return comparison;
  } catch (error) {
    progress.fail();
    throw error;
  }
}

/** The day of the manifest exported from the source or the restored table (scan, one segment, the manifest's settings). */
function exportDay(drill: Drill, which: "source" | "restored"): Promise<DayCopy> {
  const manifest = drill.manifest as ExportManifest;
  return drill.settings.clients().then((clients) =>
    exportDayCopy({
      dynamodb: which === "source" ? clients.dynamodb : drill.target.dynamodb,
      table: which === "source" ? drill.source.table : drill.scratch,
      day: manifest.date,
      timeZone: manifest.timeZone,
      spreadsheetSafe: manifest.spreadsheetSafe,
      reporter: drill.settings.reporter,
      signal: drill.settings.signal,
      dir: drill.dir,
      name: which,
    }),
  );
}

/** The last exported day of TRAZABILIDAD at or before the restore point (the data bucket's manifests), if any. */
export async function dayToCheck(
  clients: Pick<AwsClients, "s3" | "cloudformation">,
  env: DrillEnv,
  source: SourceTable,
  recovery: Recovery,
  settings: DrillSettings,
): Promise<ExportManifest | undefined> {
  if (source.seed !== "TRAZABILIDAD") return undefined;
  let bucket: string;
  try {
    bucket = settings.bucket ?? (await resolveOutputs(clients.cloudformation, env, ["DataBucketName"])).DataBucketName;
  } catch {
    settings.reporter.warn("no data bucket (the base stack's DataBucketName): the last exported day is not checked");
    return undefined;
  }
  const from = dayInZone((recovery.restorePoint ?? new Date((settings.now ?? Date.now)())).getTime(), env.timeZone);
  return lastExportedDay(clients.s3, bucket, source.table, from, env.retentionDays + 1, settings.signal);
}
