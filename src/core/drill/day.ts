/**
 * The drill's check of the last exported day: its manifest in the data bucket names the day's
 * rows and sha256, and the day is exported again — from the source and from the restored table,
 * the same way (scan, one segment, the manifest's zone and spreadsheet setting) into local files,
 * never over the real day's CSV — so the two sha256 can be compared fairly. When they differ, the
 * two files are compared row by row (by `id`) to name the rows that differ.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { addDays, type Day } from "../export/day-window";
import { exportDays } from "../export/export-days";
import { type ExportManifest, manifestKey, readManifest } from "../export/manifest";
import { overrideReporter, type Reporter, silentReporter } from "../reporter";

/**
 * The newest day within `days` before and including `from` that has a manifest in the bucket. Each
 * day's manifest is looked for with a listing of its one key first: to a caller without
 * s3:ListBucket S3 answers a missing key 403, not 404
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"), which cannot
 * be told from a denial; the drill's role may list exactly those keys (drill.yaml, FindManifests).
 */
export async function lastExportedDay(
  s3: S3Client,
  bucket: string,
  table: string,
  from: Day,
  days: number,
  signal: AbortSignal,
): Promise<ExportManifest | undefined> {
  for (let i = 0; i < days; i++) {
    const day = addDays(from, -i);
    const key = manifestKey(table, day);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }), { abortSignal: signal });
    if (!listed.Contents?.some((o) => o.Key === key)) continue;
    const manifest = await readManifest(s3, bucket, table, day, signal);
    if (manifest) return manifest;
  }
  return undefined;
}

/** One day exported to a local file for comparison. */
export interface DayCopy {
  sha256: string;
  rows: number;
  /** The CSV, kept in the drill's work directory until the drill ends. */
  path: string;
}

/** How a drill exports a day: the manifest's settings, the scan path, one segment (the row order a fair comparison needs). */
export interface DayExport {
  dynamodb: Pick<DynamoDBClient, "send">;
  table: string;
  day: Day;
  timeZone: string;
  spreadsheetSafe: boolean;
  reporter: Reporter;
  signal: AbortSignal;
  /** The drill's work directory (workDir); the CSV is written there as `<name>.csv`. */
  dir: string;
  name: string;
}

/** A temporary directory for the drill's day copies; remove it with `rm(dir, { recursive: true })`. */
export const workDir = () => mkdtemp(join(tmpdir(), "trace-drill-"));

/** Exports the day of `table` into a file of the work directory. */
export async function exportDayCopy(request: DayExport): Promise<DayCopy> {
  const path = join(request.dir, `${request.name}.csv`);
  // Only warnings (unreadable fecha) reach the operator; the export's progress is the drill's business.
  const quiet = overrideReporter(silentReporter, { warn: (m, d) => request.reporter.warn(m, d) });
  const [manifest] = await exportDays(
    { dynamodb: request.dynamodb as DynamoDBClient },
    {
      table: request.table,
      days: [request.day],
      timeZone: request.timeZone,
      segments: 1,
      engine: "scan",
      target: { kind: "file", path },
      spreadsheetSafe: request.spreadsheetSafe,
      spoolDir: request.dir,
    },
    quiet,
    request.signal,
  );
  return { sha256: manifest?.sha256 ?? "", rows: manifest?.rows ?? 0, path };
}

/**
 * The data records of an export CSV by their first field. Records end in CRLF outside quotes (a
 * quoted field may hold CR and LF, RFC 4180); the first field is unquoted here.
 */
export function recordsById(text: string): Map<string, string> {
  const records = new Map<string, string>();
  let start = 0;
  let quoted = false;
  let first = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "\r" && text[i + 1] === "\n") {
      const record = text.slice(start, i);
      if (!first) records.set(firstField(record), record);
      first = false;
      start = i + 2;
      i++;
    }
  }
  return records;
}

function firstField(record: string): string {
  if (!record.startsWith('"')) return record.split(",", 1)[0] as string;
  let out = "";
  for (let i = 1; i < record.length; i++) {
    if (record[i] === '"') {
      if (record[i + 1] === '"') {
        out += '"';
        i++;
      } else break;
    } else out += record[i];
  }
  return out;
}

/** The ids whose rows differ between two copies of a day (in one only, or different), sorted. */
export async function differingRows(a: DayCopy, b: DayCopy): Promise<string[]> {
  const [x, y] = await Promise.all([readFile(a.path, "utf8"), readFile(b.path, "utf8")]).then(([p, q]) => [recordsById(p), recordsById(q)]);
  const ids = new Set([...(x as Map<string, string>).keys(), ...(y as Map<string, string>).keys()]);
  return [...ids].filter((id) => x?.get(id) !== y?.get(id)).sort();
}
