/**
 * A re-export never replaces a good export with a worse one. The table keeps a record about
 * `retentionDays` after it is written (its TTL, `expiresAt`); expired items are deleted "on a
 * best-effort basis", "typically within two days of expiration" (UpdateTimeToLive,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html), so
 * from `retentionDays` after a day's start the table can no longer be trusted to hold that day
 * whole: re-exporting it then would replace its export with whatever TTL has left. Such a day is
 * refused when an export of it exists (exit 4, both row counts named) unless forced, or unless the
 * day is unchanged: its CSV as the table gives it now has the export's sha256 (the export's rows are
 * in one order on every path, so equal bytes mean equal records), and re-exporting it replaces the
 * export with the same bytes. The scheduled function, which cannot be forced, keeps that day's
 * export and exports the others. Within the retention a re-export with fewer rows is allowed
 * (records deleted on purpose, and archived) but never silent: a warning, and the manifest's
 * `replacesRows`.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { conflictError, type TraceError } from "../errors";
import type { Reporter } from "../reporter";
import { type Day, dayWindow } from "./day-window";
import { type ExportManifest, manifestKey, readManifest } from "./manifest";
import type { ExportRequest, ReexportRule } from "./request";

const DAY_MS = 86_400_000;

/** True when TTL may already have removed records of `day`: `retentionDays` have passed since its start. */
export function beyondRetention(day: Day, timeZone: string, retentionDays: number, now: number): boolean {
  return now >= dayWindow(day, timeZone).start + retentionDays * DAY_MS;
}

const forbidden = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403;

/**
 * Each day's current export in the bucket, its manifest (null: none). A role without s3:ListBucket
 * (the scheduled function's) is answered 403 for a manifest that is not there, which cannot be
 * told from a denial (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
 * "Permissions"): with `forbiddenMeansNone` such a day counts as having none; otherwise it fails.
 */
export async function previousManifests(
  s3: S3Client,
  where: { bucket: string; table: string; days: readonly Day[]; forbiddenMeansNone: boolean },
  signal: AbortSignal,
): Promise<Map<Day, ExportManifest | null>> {
  const manifests = new Map<Day, ExportManifest | null>();
  for (const day of where.days) {
    try {
      manifests.set(day, await readManifest(s3, where.bucket, where.table, day, signal));
    } catch (error) {
      if (!(where.forbiddenMeansNone && forbidden(error))) throw error;
      manifests.set(day, null);
    }
  }
  return manifests;
}

/** The days a re-export may not replace (beyond the retention, with an export), unless forced. */
export function refusedDays(
  rule: ReexportRule | undefined,
  days: readonly Day[],
  previous: ReadonlyMap<Day, ExportManifest | null>,
  timeZone: string,
  now: number,
): Day[] {
  if (!rule || rule.force) return [];
  return days.filter((day) => (previous.get(day) ?? null) !== null && beyondRetention(day, timeZone, rule.retentionDays, now));
}

const count = (n: number) => n.toLocaleString("en-US");

/** A day beyond the retention as the table gives it now, beside its export. */
interface MeasuredDay {
  day: Day;
  rows: number;
  sha256: string | null;
  previous: { rows: number; sha256: string | null };
}

const unchanged = (d: MeasuredDay) => d.sha256 !== null && d.sha256 === d.previous.sha256;

/** The refusal (exit 4), naming each day's rows now in the table and in its export. */
export function refusal(table: string, retentionDays: number, days: readonly MeasuredDay[], bucket: string): TraceError {
  const each = days.map(
    (d) =>
      `${d.day}: the table now holds ${count(d.rows)} row(s) of it, its export has ${count(d.previous.rows)}${d.rows === d.previous.rows ? " (different ones: the sha256s differ)" : ""}`,
  );
  const first = days[0] as { day: Day };
  return conflictError(
    `refusing to re-export ${days.length === 1 ? "a day" : `${days.length} days`} of ${table} older than the table's retention (retentionDays ${retentionDays}: TTL may have removed records since the export was made); ${each.join("; ")}`,
    `the exports stay as they are (s3://${bucket}/${manifestKey(table, first.day)} …); pass --force to replace them anyway (the bucket's versioning keeps the old ones)`,
  );
}

/** The warning for a day whose export is kept (the schedule's `keep`). */
export function warnKept(reporter: Reporter, table: string, day: Day, previous: number, retentionDays: number): void {
  reporter.warn(
    `${day} of ${table} is not re-exported: it is older than the table's retention (retentionDays ${retentionDays}), so TTL may have removed its records; its export (${count(previous)} rows) is kept`,
    { day, keptRows: previous, retentionDays },
  );
}

/** The warning for a re-export with fewer rows than the export it replaces. */
export function warnShrink(reporter: Reporter, table: string, day: Day, rows: number, previous: number | null): void {
  if (previous === null || rows >= previous) return;
  reporter.warn(
    `${day} of ${table}: the new export has ${count(rows)} row(s), fewer than the ${count(previous)} of the export it replaces (records deleted since: on purpose, or by TTL; the bucket's versioning keeps the old CSV)`,
    { day, rows, replacesRows: previous },
  );
}

/**
 * The scheduled function's days (yesterday and today) less those whose export it keeps (beyond the
 * retention, with an export; warned about), for its hand-over to the native path. Its role has no
 * s3:ListBucket, so a missing manifest (403) counts as none.
 */
export async function daysToReexport(
  s3: S3Client,
  where: { bucket: string; table: string; days: readonly Day[]; timeZone: string; retentionDays: number; now: number },
  reporter: Reporter,
  signal: AbortSignal,
): Promise<Day[]> {
  const rule: ReexportRule = { retentionDays: where.retentionDays, beyond: "keep" };
  const previous = await previousManifests(s3, { ...where, forbiddenMeansNone: true }, signal);
  const kept = refusedDays(rule, where.days, previous, where.timeZone, where.now);
  for (const day of kept) warnKept(reporter, where.table, day, previous.get(day)?.rows ?? 0, where.retentionDays);
  return where.days.filter((day) => !kept.includes(day));
}

/** Each day's current export in the bucket (S3 target with a re-export rule only; else none known). */
export async function previousExports(
  s3: S3Client | undefined,
  request: ExportRequest,
  signal: AbortSignal,
): Promise<Map<Day, ExportManifest | null>> {
  const target = request.target;
  if (target.kind !== "s3" || !request.reexport || !s3) return new Map();
  // Without s3:ListBucket (the scheduled function), a missing manifest is answered 403.
  const where = { bucket: target.bucket, table: request.table, days: request.days, forbiddenMeansNone: target.checkBucket === false };
  return previousManifests(s3, where, signal);
}

/**
 * The rule applied before anything is read for writing: days beyond the retention that have an
 * export are re-exported when unchanged (`measure` reads them now, writing nothing, and hashes
 * their CSV: its manifests), else refused (exit 4, both counts named); for the schedule, kept and
 * left out. Returns the days left out.
 */
export async function guardReexport(
  request: ExportRequest,
  previous: ReadonlyMap<Day, ExportManifest | null>,
  reporter: Reporter,
  measure: (days: readonly Day[]) => Promise<ExportManifest[]>,
): Promise<Day[]> {
  const rule = request.reexport;
  const refused = refusedDays(rule, request.days, previous, request.timeZone, (request.now ?? Date.now)());
  if (!rule || refused.length === 0 || request.target.kind !== "s3") return [];
  if (rule.beyond === "keep") {
    for (const day of refused) warnKept(reporter, request.table, day, previous.get(day)?.rows ?? 0, rule.retentionDays);
    return refused;
  }
  const measured = (await measure(refused)).map((m): MeasuredDay => {
    const prior = previous.get(m.date);
    return { day: m.date, rows: m.rows, sha256: m.sha256, previous: { rows: prior?.rows ?? 0, sha256: prior?.sha256 ?? null } };
  });
  const changed = measured.filter((d) => !unchanged(d));
  if (changed.length > 0) throw refusal(request.table, rule.retentionDays, changed, request.target.bucket);
  for (const d of measured)
    reporter.info(
      `${d.day} of ${request.table} is older than the table's retention (retentionDays ${rule.retentionDays}) but unchanged since its export (${count(d.rows)} rows, same sha256): re-exporting it gives the same bytes`,
      { day: d.day, rows: d.rows, sha256: d.sha256 },
    );
  return [];
}
