/**
 * The manifest written beside each day's CSV (`_manifest.json`) and returned to the CLI
 * (`--json`) and to the Lambda's log: what was exported, from what, and whether it is whole.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { version } from "../version";
import type { Day, DayWindow } from "./day-window";
import type { RouteCounts } from "./route";

export const MANIFEST_FILE = "_manifest.json";

/** `exports/<table>/dt=YYYY-MM-DD/<table>_YYYY-MM-DD.csv`, `<table>` being the physical table name. */
export function objectKey(table: string, day: Day): string {
  return `exports/${table}/dt=${day}/${table}_${day}.csv`;
}

export function manifestKey(table: string, day: Day): string {
  return `exports/${table}/dt=${day}/${MANIFEST_FILE}`;
}

/** The manifest written beside a local `--out <file>`: `<file>.manifest.json`. */
export function localManifestPath(csvPath: string): string {
  return `${csvPath}.manifest.json`;
}

export interface ExportManifest {
  /** Physical table name. */
  table: string;
  date: Day;
  timeZone: string;
  /** The day's window in UTC: start inclusive, end exclusive. */
  windowStart: string;
  windowEnd: string;
  /** Data rows in the CSV (header excluded). */
  rows: number;
  /** Size of the CSV in bytes; null on a dry run. */
  bytes: number | null;
  /** Hex sha256 of the CSV bytes; null on a dry run. */
  sha256: string | null;
  columns: string[];
  /** Items read by the scan (the whole table: membership is decided on `fecha`). */
  scannedCount: number;
  segments: number;
  /** Records of the table whose `fecha` is missing or unreadable (they belong to no day). */
  unreadableFecha: number;
  /** Up to 20 of their ids, for a look. */
  unreadableFechaIds: string[];
  startedAt: string;
  finishedAt: string;
  /**
   * True when the day is whole in the CSV: for a scan or a native export, the day had ended (in
   * the business zone) when the export started; for a query, the index watermark had passed the
   * day's end plus the late-write slack.
   */
  complete: boolean;
  toolVersion: string;
  /** Where the CSV went: `s3://bucket/key`, a file path, `-` for stdout, or null on a dry run. */
  location: string | null;
  /**
   * The S3 version of the CSV this manifest describes (the commit rule: read the manifest, then
   * GET the CSV with this VersionId). Null for a local file, stdout, a dry run, or an unversioned bucket.
   */
  csvVersionId: string | null;
  /** True when string cells that a spreadsheet would read as a formula were escaped (`--spreadsheet-safe`). */
  spreadsheetSafe: boolean;
  dryRun: boolean;
  /**
   * How the records were read: `query` on the day index (the day and its neighbours), `scan` of
   * the table, or `native` (DynamoDB's export to S3, formatted from its data files).
   */
  readPath: "query" | "scan" | "native";
  /**
   * Why this path: for `query`, up to when the index is shown complete; for `scan`, what kept the
   * index from being trusted (or `--engine scan`); for `native`, the engine asked for.
   */
  readPathReason: string;
  /**
   * Query only: every write before this instant was in the day index when it was read, so the CSV
   * holds the day as written up to then (a scan holds it as written up to `startedAt`). Null otherwise.
   */
  indexWatermark: string | null;
  /** Items read (scannedCount): the whole table on a scan, the days' partitions on a query. */
  itemsRead: number;
  /** itemsRead / rows exported by this read (all days of the group), 2 decimals; null when nothing was exported. */
  readAmplification: number | null;
  /** Records read whose `dia` disagrees with the day of their `fecha` (fecha decides; they are exported in fecha's day). */
  dayMismatch: number;
  /** Up to 20 of their ids. */
  dayMismatchIds: string[];
  /**
   * Rows of the export this one replaced (the day's previous manifest in the bucket), or null when
   * there was none (or the target is not the bucket). Fewer rows than this are also warned about.
   */
  replacesRows: number | null;
}

/** What a read path knows of a day once its CSV is written (or counted, on a dry run). */
export interface DayFacts {
  table: string;
  timeZone: string;
  window: DayWindow;
  rows: number;
  bytes: number | null;
  sha256: string | null;
  columns: string[];
  csvVersionId: string | null;
  location: string | null;
  spreadsheetSafe: boolean;
  readPath: ExportManifest["readPath"];
  readPathReason: string;
  /** Query only: the index watermark, epoch ms. */
  indexWatermark?: number | null;
  /** Whether the day is whole, when the read path decides it otherwise than "the day had ended when the export started". */
  complete?: boolean;
  segments: number;
  /** Items read by the whole read (every day of its group). */
  itemsRead: number;
  /** Rows exported by the whole read (every day of its group). */
  matched: number;
  counts: RouteCounts;
  startedAt: number;
  finishedAt: number;
  /** Rows of the export this one replaces (null: none). */
  replacesRows: number | null;
}

/** The manifest of a day, the same fields from every read path. */
export function dayManifest(facts: DayFacts): ExportManifest {
  const { window, counts } = facts;
  return {
    table: facts.table,
    date: window.day,
    timeZone: facts.timeZone,
    windowStart: new Date(window.start).toISOString(),
    windowEnd: new Date(window.end).toISOString(),
    rows: facts.rows,
    bytes: facts.bytes,
    sha256: facts.sha256,
    columns: facts.columns,
    scannedCount: facts.itemsRead,
    segments: facts.segments,
    unreadableFecha: counts.unreadable,
    unreadableFechaIds: counts.unreadableIds,
    startedAt: new Date(facts.startedAt).toISOString(),
    finishedAt: new Date(facts.finishedAt).toISOString(),
    complete: facts.complete ?? facts.startedAt >= window.end,
    toolVersion: version,
    location: facts.location,
    csvVersionId: facts.csvVersionId,
    spreadsheetSafe: facts.spreadsheetSafe,
    dryRun: facts.location === null,
    readPath: facts.readPath,
    readPathReason: facts.readPathReason,
    indexWatermark: facts.indexWatermark ? new Date(facts.indexWatermark).toISOString() : null,
    itemsRead: facts.itemsRead,
    readAmplification: facts.matched > 0 ? Math.round((facts.itemsRead / facts.matched) * 100) / 100 : null,
    dayMismatch: counts.mismatched,
    dayMismatchIds: counts.mismatchIds,
    replacesRows: facts.replacesRows,
  };
}

/** The manifest as JSON text, as written to S3 and to a local file. */
export function manifestText(manifest: ExportManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Writes the manifest beside the CSV, encrypted with the same key. */
export async function putManifest(s3: S3Client, bucket: string, kmsKeyId: string, manifest: ExportManifest, signal: AbortSignal) {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: manifestKey(manifest.table, manifest.date),
      Body: manifestText(manifest),
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: kmsKeyId,
    }),
    { abortSignal: signal },
  );
}

/** The day's current manifest, or null when there is none (404). Other failures are thrown. */
export async function readManifest(
  s3: S3Client,
  bucket: string,
  table: string,
  day: Day,
  signal: AbortSignal,
): Promise<ExportManifest | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey(table, day) }), { abortSignal: signal });
    return JSON.parse((await out.Body?.transformToString("utf-8")) ?? "null") as ExportManifest | null;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as Error).name === "NoSuchKey") return null;
    throw error;
  }
}
