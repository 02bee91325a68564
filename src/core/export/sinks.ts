/**
 * Where the CSV bytes go. Every sink either finishes whole or leaves nothing: S3 through a
 * multipart upload (lib-storage) that is aborted on any failure, a local file written under a
 * temporary name in the same directory (renamed into place with its manifest by commit.ts).
 * stdout cannot be taken back: what was written stays.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { PassThrough, type Writable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

/** What a finished sink leaves for the commit step. */
export interface Finished {
  /** S3: the version the upload created (absent when the bucket is not versioned). */
  versionId?: string;
  /** Local file: the complete CSV under its temporary name, not yet in place. */
  partialPath?: string;
}

export interface CsvSink {
  /** Writes one chunk, waiting while the destination is behind (backpressure). */
  write(chunk: Buffer): Promise<void>;
  /** Completes the object (live once this resolves) / the temporary file. */
  finish(): Promise<Finished>;
  /** Undoes everything written so far (best effort for stdout). */
  abort(): Promise<void>;
}

/** Waits for `drain`, but fails as soon as `failed` rejects (a dead upload never drains). */
async function drain(stream: Writable, failed: Promise<never>): Promise<void> {
  await Promise.race([once(stream, "drain"), failed]);
}

export interface S3SinkOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  kmsKeyId: string;
  /** Part size in bytes (S3 minimum 5 MiB). */
  partSize?: number;
}

/** A multipart upload fed as the rows are formatted; encrypted with the CMK (SSE-KMS). */
export function s3Sink(options: S3SinkOptions): CsvSink {
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  const upload = new Upload({
    client: options.s3,
    params: {
      Bucket: options.bucket,
      Key: options.key,
      Body: body,
      ContentType: "text/csv; charset=utf-8",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: options.kmsKeyId,
    },
    partSize: options.partSize ?? 8 * 1024 * 1024,
    queueSize: 2,
    // lib-storage aborts the multipart upload itself when a part fails; we abort it on our errors.
    leavePartsOnError: false,
  });
  const done = upload.done();
  let failure: unknown;
  const failed = done.then(
    () => new Promise<never>(() => {}),
    (error: unknown) => {
      failure = error;
      throw error;
    },
  );
  failed.catch(() => {});
  return {
    async write(chunk) {
      if (failure) throw failure;
      if (!body.write(chunk)) await drain(body, failed);
    },
    async finish() {
      body.end();
      const out = await done;
      return { versionId: (out as { VersionId?: string }).VersionId };
    },
    async abort() {
      // Failing the body (rather than upload.abort(), whose promise settles before the
      // AbortMultipartUpload request is sent) makes done() settle only once the multipart upload
      // has been aborted, so a CLI that exits right after leaves no incomplete upload behind.
      body.destroy(new Error("export aborted"));
      const settled = await Promise.race([done.then(ok, ok), delay(ABORT_WAIT_MS).then(() => false)]);
      if (!settled) await upload.abort();
    },
  };
}

const ok = () => true;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
/** How long an abort waits for an in-flight part before cutting it off. */
const ABORT_WAIT_MS = 30_000;

/**
 * Writes to a stream with back-pressure; after the stream's first error every write (and
 * `failed`) rejects with it, so a broken disk or a closed pipe stops the export at once.
 */
function guardedWriter(stream: Writable) {
  let failure: unknown;
  const failed = new Promise<never>((_, reject) => {
    stream.on("error", (error) => {
      failure = error;
      reject(error);
    });
  });
  failed.catch(() => {});
  return {
    failed,
    check() {
      if (failure) throw failure;
    },
    async write(chunk: Uint8Array | string) {
      if (failure) throw failure;
      if (!stream.write(chunk)) await drain(stream, failed);
    },
  };
}

/** The temporary name a local file is written under: same directory, so the rename is atomic. */
export const partialPathOf = (path: string) => `${path}.partial-${process.pid}`;

/**
 * A local file, written as `<path>.partial-<pid>` and flushed to disk; commit.ts renames it into
 * place together with its manifest.
 */
export function fileSink(path: string): CsvSink {
  const partial = partialPathOf(path);
  const stream = createWriteStream(partial, { highWaterMark: 256 * 1024 });
  const writer = guardedWriter(stream);
  return {
    write: writer.write,
    async finish() {
      stream.end();
      await Promise.race([once(stream, "close"), writer.failed]);
      return { partialPath: partial };
    },
    async abort() {
      stream.destroy();
      await rm(partial, { force: true });
    },
  };
}

/** An already open stream (stdout for `--out -`); not closed, since it is not ours. */
export function streamSink(stream: Writable): CsvSink {
  const writer = guardedWriter(stream);
  return {
    write: writer.write,
    async finish() {
      writer.check();
      return {};
    },
    async abort() {},
  };
}
