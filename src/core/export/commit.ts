/**
 * The commit rule of an export: a day's CSV and its manifest are a pair, and at every instant
 * whoever reads the day's manifest finds the CSV it describes (rows, bytes, sha256), or finds no
 * manifest at all (a first export not yet committed).
 *
 * S3: the manifest is the commit point. It is written last and names the CSV's `VersionId`
 * (`csvVersionId`; the data bucket is versioned), so a reader that fetches that version always
 * gets the bytes the manifest describes, even while a later run is uploading. So that the plain
 * key agrees too, the step from "CSV uploaded" to "manifest written" is a short critical
 * section: an interrupt (Ctrl-C, the Lambda's timeout guard) arriving then is honoured only once
 * the manifest is written, within a bounded time, and said so on the terminal; and if the
 * manifest cannot be written, the CSV version this run created is deleted again, so the
 * previous export's CSV is current once more (or, for a first export, there is none).
 *
 * Local file: the CSV and the manifest are complete under temporary names in the same directory
 * (flushed to disk) before either is put in place; the old manifest is removed first, then the
 * CSV renamed into place, then the manifest: a reader sees the old pair, no manifest, or the new
 * pair, never a manifest beside a CSV it does not describe.
 */
import { open, rename, rm } from "node:fs/promises";
import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ErrorCode, isAbortError, TraceError, toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import { type ExportManifest, localManifestPath, manifestText, objectKey, putManifest, readManifest } from "./manifest";
import { partialPathOf } from "./sinks";

/** The longest the manifest write may take once the CSV is in place (SDK retries included). */
export const MANIFEST_WRITE_MS = 6_000;
/** The longest the undo of the CSV may take when the manifest could not be written. */
export const ROLLBACK_MS = 4_000;
/** The critical section's bound: an interrupt waits at most this long (the Lambda stops 15 s before its timeout). */
export const COMMIT_BUDGET_MS = MANIFEST_WRITE_MS + ROLLBACK_MS;

export interface S3Commit {
  kind: "s3";
  s3: S3Client;
  bucket: string;
  kmsKeyId: string;
}

export interface FileCommit {
  kind: "file";
  /** The CSV's final path; its complete bytes are at `partialPathOf(path)`. */
  path: string;
}

/** Where a day's pair is committed for an export target; none for stdout or a dry run. */
export function commitTargetOf(
  target: { kind: "s3"; bucket: string; kmsKeyId: string } | { kind: "file"; path: string } | { kind: "stream" | "none" },
  s3: S3Client | undefined,
): S3Commit | FileCommit | undefined {
  if (target.kind === "s3") return { kind: "s3", s3: s3 as S3Client, bucket: target.bucket, kmsKeyId: target.kmsKeyId };
  if (target.kind === "file") return { kind: "file", path: target.path };
  return undefined;
}

/**
 * Writes the day's manifest and so commits the pair, inside the critical section: an abort of
 * `signal` during it is reported and left for the caller to honour afterwards. Throws a
 * TraceError when the pair could not be committed, after undoing the CSV when it can.
 */
export async function commitDay(
  target: S3Commit | FileCommit,
  manifest: ExportManifest,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<void> {
  const onInterrupt = () =>
    reporter.warn(
      `interrupt received: finishing ${manifest.date}'s manifest first so the CSV and its manifest stay a pair (at most ${COMMIT_BUDGET_MS / 1000} s)`,
      { date: manifest.date, commitBudgetMs: COMMIT_BUDGET_MS },
    );
  if (signal.aborted) onInterrupt();
  else signal.addEventListener("abort", onInterrupt, { once: true });
  try {
    if (target.kind === "s3") await commitS3(target, manifest);
    else await commitFile(target.path, manifest);
  } finally {
    signal.removeEventListener("abort", onInterrupt);
  }
}

async function commitS3(target: S3Commit, manifest: ExportManifest): Promise<void> {
  const { s3, bucket } = target;
  const versionId = manifest.csvVersionId;
  const csvKey = objectKey(manifest.table, manifest.date);
  try {
    await putManifest(s3, bucket, target.kmsKeyId, manifest, AbortSignal.timeout(MANIFEST_WRITE_MS));
    return;
  } catch (error) {
    const cause = isAbortError(error)
      ? new TraceError(ErrorCode.failed, `no answer within ${MANIFEST_WRITE_MS / 1000} s`, { cause: error })
      : toTraceError(error, `manifest of ${manifest.date}`);
    if (!versionId) {
      throw new TraceError(
        ErrorCode.failed,
        `the manifest of ${manifest.date} could not be written (${cause.message}), and bucket "${bucket}" is not versioned, so the new CSV cannot be withdrawn: s3://${bucket}/${csvKey} is newer than its manifest`,
        { hint: "enable versioning on the bucket (the base stack does) and export the day again", cause: error },
      );
    }
    const undone = await withdrawCsv(s3, bucket, csvKey, manifest, versionId);
    if (undone === "committed") return;
    if (undone === "withdrawn") {
      throw new TraceError(
        cause.code,
        `the manifest of ${manifest.date} could not be written (${cause.message}); the new CSV was withdrawn, so the day's previous export (if any) stands as it was`,
        { hint: cause.hint ?? "export the day again", cause: error },
      );
    }
    if (undone.code === ErrorCode.accessDenied) {
      // Without s3:ListBucket (the function's role has none) S3 answers 403 for a key that does not
      // exist, so a first export's missing manifest reads as denied: it cannot tell "absent" from
      // "not allowed", and deleting the version could orphan a manifest that did land.
      throw new TraceError(
        ErrorCode.failed,
        `the manifest of ${manifest.date} could not be written (${cause.message}) nor read back (${undone.message}), so the new CSV (version ${versionId}) was left in place: if the day had no manifest (a first export; S3 answers 403 for a missing key to a caller without s3:ListBucket), s3://${bucket}/${csvKey} stands without one, which readers ignore; otherwise it is newer than its manifest`,
        { hint: "export the day again", cause: error },
      );
    }
    throw new TraceError(
      ErrorCode.failed,
      `the manifest of ${manifest.date} could not be written (${cause.message}) and the new CSV (version ${versionId}) could not be withdrawn (${undone.message}): until the day is exported again, s3://${bucket}/${csvKey} is newer than its manifest`,
      {
        hint: "export the day again; readers that GET the CSV version named in _manifest.json (csvVersionId) are not affected",
        cause: error,
      },
    );
  }
}

/**
 * Undoes the CSV version this run created, unless the manifest did land after all (a write whose
 * answer was lost): deleting the version then would leave the manifest naming a missing CSV.
 * Only when the manifest is known not to name the version is it deleted.
 */
async function withdrawCsv(
  s3: S3Client,
  bucket: string,
  csvKey: string,
  manifest: ExportManifest,
  versionId: string,
): Promise<"committed" | "withdrawn" | TraceError> {
  const signal = AbortSignal.timeout(ROLLBACK_MS);
  try {
    const current = await readManifest(s3, bucket, manifest.table, manifest.date, signal);
    if (current?.csvVersionId === versionId) return "committed";
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: csvKey, VersionId: versionId }), { abortSignal: signal });
    return "withdrawn";
  } catch (error) {
    return toTraceError(error, `s3://${bucket}/${csvKey}`);
  }
}

async function commitFile(path: string, manifest: ExportManifest): Promise<void> {
  const csvPartial = partialPathOf(path);
  const manifestPath = localManifestPath(path);
  const manifestPartial = partialPathOf(manifestPath);
  try {
    const csv = await open(csvPartial, "r");
    try {
      await csv.sync();
    } finally {
      await csv.close();
    }
    const file = await open(manifestPartial, "w");
    try {
      await file.writeFile(manifestText(manifest), "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    // Both complete on disk; now the old manifest goes first, so it never stands beside the new CSV.
    await rm(manifestPath, { force: true });
    await rename(csvPartial, path);
    await rename(manifestPartial, manifestPath);
  } catch (error) {
    await rm(csvPartial, { force: true });
    await rm(manifestPartial, { force: true });
    throw toTraceError(error, `${path} and its manifest`);
  }
}
