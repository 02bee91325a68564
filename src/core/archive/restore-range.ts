/**
 * Range restore: the latest archived version of every item deleted in a time range, with bounded
 * concurrency, a progress line and a summary.
 */
import { mapLimit } from "../concurrency";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { DeletionKind } from "./archive-object";
import { type ArchiveVersion, itemIdentity, listArchive } from "./lister";
import {
  describeKeys,
  describeTarget,
  isLive,
  keyRecord,
  type PutOutcome,
  prepare,
  putItem,
  type RestoreDeps,
  type RestoreTarget,
  type TargetInfo,
} from "./restore";

export interface RangeRestoreResult {
  table: string;
  toTable: string;
  dryRun: boolean;
  items: number;
  restored: number;
  skippedLive: number;
  failed: number;
  ttlRefreshed: number;
  failures: { keys: Record<string, string>; versionId: string; error: string }[];
}

/**
 * Restores every item deleted in [since, until) (latest version of each), with bounded
 * concurrency and a progress line. Live items are skipped (unless `force`), so running it again
 * restores nothing new. Failures are counted and listed, never hidden.
 */
export async function restoreRange(
  deps: RestoreDeps,
  options: RestoreTarget & { since?: Date | undefined; until?: Date | undefined; kind?: DeletionKind | undefined; concurrency?: number },
): Promise<RangeRestoreResult> {
  const concurrency = options.concurrency ?? 16;
  const listing = deps.reporter.progress(`reading the archive of ${options.table}…`);
  let versions: ArchiveVersion[];
  try {
    versions = await listArchive(deps, {
      table: options.table,
      since: options.since,
      until: options.until,
      kind: options.kind,
      concurrency,
    });
    listing.stop();
  } catch (error) {
    listing.fail();
    throw error;
  }
  const latest = new Map<string, ArchiveVersion>();
  for (const v of versions) latest.set(itemIdentity(v), v); // oldest first: the last one wins
  const toTable = options.toTable ?? options.table;
  const target = await describeTarget(deps, toTable);
  const result: RangeRestoreResult = {
    table: options.table,
    toTable,
    dryRun: Boolean(options.dryRun),
    items: latest.size,
    restored: 0,
    skippedLive: 0,
    failed: 0,
    ttlRefreshed: 0,
    failures: [],
  };
  const now = deps.now?.() ?? new Date();
  if (!options.dryRun && latest.size > 0) await confirmRange(deps, target, [...latest.values()], { ...options, toTable }, now, concurrency);
  const progress = deps.reporter.progress(`restoring 0/${latest.size} into ${toTable}`);
  let done = 0;
  try {
    await mapLimit(
      [...latest.values()],
      concurrency,
      async (version) => {
        try {
          const prepared = prepare(version, target, options, now);
          let outcome: PutOutcome;
          if (options.dryRun) outcome = (await isLive(deps, target, prepared.key)) && !options.force ? "live" : "restored";
          else outcome = await putItem(deps, target, prepared, Boolean(options.force));
          if (outcome === "live") result.skippedLive++;
          else {
            result.restored++;
            if (prepared.ttl?.refreshed) result.ttlRefreshed++;
          }
        } catch (error) {
          if (deps.signal?.aborted) throw error;
          result.failed++;
          result.failures.push({ keys: keyRecord(version.keys), versionId: version.versionId, error: toTraceError(error).message });
        }
        done++;
        progress.update(`restoring ${done}/${latest.size} into ${toTable}`);
      },
      deps.signal,
    );
  } catch (error) {
    progress.fail(`stopped after ${done}/${latest.size}`);
    throw error;
  }
  const verb = options.dryRun ? "would restore" : "restored";
  const summary = `${verb} ${result.restored}, skipped ${result.skippedLive} live, failed ${result.failed} (of ${result.items} items)`;
  if (result.failed > 0) progress.fail(summary);
  else progress.succeed(summary);
  return result;
}

/** Live items named before the question; the rest are counted. */
const SHOWN_LIVE = 10;

/**
 * Before a range restore writes: finds which items are live in the target, says how many will be
 * restored and which live ones are skipped (or, with --force, overwritten), and asks. Without a
 * terminal the question needs --yes (the reporter refuses, exit 2). Nothing to write: no question.
 */
async function confirmRange(
  deps: RestoreDeps,
  target: TargetInfo,
  versions: ArchiveVersion[],
  options: RestoreTarget & { toTable: string },
  now: Date,
  concurrency: number,
): Promise<void> {
  const checking = deps.reporter.progress(`checking which of ${versions.length} items are live in ${options.toTable}…`);
  const live: ArchiveVersion[] = [];
  try {
    await mapLimit(
      versions,
      concurrency,
      async (version) => {
        let prepared: ReturnType<typeof prepare>;
        try {
          prepared = prepare(version, target, options, now);
        } catch {
          return; // counted as a failure by the restore itself
        }
        if (await isLive(deps, target, prepared.key)) live.push(version);
      },
      deps.signal,
    );
    checking.stop();
  } catch (error) {
    checking.fail();
    throw error;
  }
  const writes = options.force ? versions.length : versions.length - live.length;
  if (writes === 0) return;
  const liveText =
    live.length === 0 ? "" : options.force ? ` and OVERWRITE ${live.length} live item(s)` : ` (${live.length} live item(s) skipped)`;
  deps.reporter.info(`will restore ${versions.length - live.length} item(s) into ${options.toTable}${liveText}`);
  for (const v of live.slice(0, SHOWN_LIVE)) deps.reporter.info(`  live: ${describeKeys(v.keys)}`);
  if (live.length > SHOWN_LIVE) deps.reporter.info(`  … and ${live.length - SHOWN_LIVE} more live`);
  const question = `Write ${writes} item(s) into ${options.toTable}${options.force && live.length > 0 ? `, ${live.length} of them over live items` : ""}?`;
  if (!(await deps.reporter.confirm(question, { default: false }))) {
    throw new TraceError(ErrorCode.declined, `range restore declined; nothing was written to table "${options.toTable}"`);
  }
}
