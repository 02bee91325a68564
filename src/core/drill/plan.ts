/**
 * What `trace drill` is asked to do, checked before anything touches AWS: which table, restored
 * from what (point-in-time recovery, or the newest backup, in the table's region or the DR
 * region), to which time, and what happens to the scratch table afterwards.
 */
import { usageError } from "../errors";

export const DRILL_SOURCES = ["pitr", "backup"] as const;
export type DrillSource = (typeof DRILL_SOURCES)[number];

/** The flags as typed. */
export interface DrillRawRequest {
  table?: string | undefined;
  from?: string | undefined;
  at?: string | undefined;
  /** `--dr-region` alone (true): the environment's drRegion; with a value: that region. */
  drRegion?: string | boolean | undefined;
  keep?: boolean | undefined;
  /** Check a table restored earlier (by a drill with --keep, the console, AWS Backup) instead of restoring. */
  restored?: string | undefined;
  /** AWS Backup restores of recovery points with advanced features need a role to pass. */
  restoreRole?: string | undefined;
  /** Minutes to wait for the restore. */
  timeout?: string | undefined;
}

export interface DrillPlan {
  /** As given (a seed name such as TRAZABILIDAD, or a physical name); undefined: TRAZABILIDAD. */
  table: string | undefined;
  from: DrillSource;
  /** A past instant to restore to (point-in-time only); undefined: the instant the source was read. */
  at: Date | undefined;
  /** The region of the restore when it is not the table's: true means the environment's drRegion. */
  drRegion: string | true | undefined;
  keep: boolean;
  restored: string | undefined;
  restoreRole: string | undefined;
  timeoutMs: number;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
export const DEFAULT_TIMEOUT_MINUTES = 240;

function parseAt(text: string | undefined, now: number): Date | undefined {
  if (text === undefined) return undefined;
  const at = AT.test(text.trim()) ? new Date(text.trim()) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime()))
    throw usageError(`--at ${JSON.stringify(text)} is not an ISO-8601 date-time with Z or an offset`, "e.g. --at 2026-11-22T18:30:00Z");
  if (at.getTime() >= now)
    throw usageError(`--at ${at.toISOString()} is not in the past`, "drop --at to restore to the moment the drill reads the source");
  return at;
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_MINUTES * 60_000;
  const minutes = Number(text);
  if (!/^\d+$/.test(text) || minutes < 1 || minutes > 1440)
    throw usageError(`--timeout ${JSON.stringify(text)} is not a number of minutes from 1 to 1440`, "e.g. --timeout 120");
  return minutes * 60_000;
}

function checkCombinations(request: DrillRawRequest, drRegion: string | true | undefined): DrillSource {
  if (request.from !== undefined && !(DRILL_SOURCES as readonly string[]).includes(request.from))
    throw usageError(`--from ${JSON.stringify(request.from)} is not a recovery source`, "pass --from pitr or --from backup");
  if (request.restored && (request.from || request.at || request.keep))
    throw usageError("--restored checks a table that is already restored, so --from, --at and --keep have no use with it", "drop them");
  if (drRegion !== undefined && request.from === "pitr")
    throw usageError(
      "point-in-time recovery restores in the table's own region; the DR region holds copies of backups",
      "drop --from pitr (a DR drill restores the newest copy), or drop --dr-region",
    );
  const from: DrillSource = (request.from as DrillSource | undefined) ?? (drRegion !== undefined ? "backup" : "pitr");
  if (request.at && from !== "pitr")
    throw usageError("--at chooses a point in time, which only point-in-time recovery restores to", "drop --at, or use --from pitr");
  return from;
}

/** Checks the flags (no AWS call): bad input is refused before anything is restored. */
export function planDrill(request: DrillRawRequest, now: number = Date.now()): DrillPlan {
  const drRegion = request.drRegion === true ? true : typeof request.drRegion === "string" ? request.drRegion : undefined;
  if (typeof drRegion === "string" && !REGION.test(drRegion))
    throw usageError(
      `--dr-region ${JSON.stringify(drRegion)} is not an AWS region`,
      "e.g. --dr-region eu-central-1, or --dr-region alone for the environment's drRegion",
    );
  const from = checkCombinations(request, drRegion);
  return {
    table: request.table,
    from,
    at: parseAt(request.at, now),
    drRegion,
    keep: Boolean(request.keep),
    restored: request.restored,
    restoreRole: request.restoreRole,
    timeoutMs: parseTimeout(request.timeout),
  };
}
