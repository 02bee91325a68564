/**
 * Deterministic zips: fixed timestamps, sorted entries, fixed permissions, so the same bundle
 * always gives the same bytes and the same sha256 (the artifact's S3 key).
 */
import { createHash } from "node:crypto";
import { ZipFile } from "yazl";

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

// DOS time is local wall-clock time: a local-time Date keeps the stored fields identical in every TZ.
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;

/** Zips the entries (sorted by name) with fixed metadata; resolves to the archive's bytes. */
export function deterministicZip(entries: readonly ZipEntry[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const entry of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    zip.addBuffer(Buffer.from(entry.data), entry.name, { mtime: FIXED_MTIME, mode: FILE_MODE, forceDosTimestamp: true, compress: true });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on("error", reject);
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

export const sha256Hex = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");
