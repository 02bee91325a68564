/**
 * The native path's last step: one CSV object from the header and the parts, by multipart upload.
 * A part of at least 5 MiB is copied server-side (UploadPartCopy, no bytes through the function);
 * smaller parts, and the header, are gathered into a buffer that is uploaded once it reaches 5 MiB
 * (S3's minimum for every part but the last). When a buffer is pending and the next part is large,
 * the buffer is topped up from the part's first bytes and the rest is copied by range. Then the
 * object is read once to hash it (S3 cannot give a whole object's sha256 for a multipart upload),
 * and the manifest commits it as on the other paths.
 */
import { createHash } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { listKeys } from "./objects";

/** S3's smallest part (every part but the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's largest part. */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

export interface AssemblyInput {
  s3: S3Client;
  bucket: string;
  kmsKeyId: string;
  key: string;
  header: string;
  /** The parts in order: their keys and sizes. */
  parts: readonly { key: string; bytes: number }[];
  signal?: AbortSignal;
}

export interface Assembled {
  bytes: number;
  sha256: string;
  versionId: string | undefined;
  /** How each part went: copied server-side, or through the buffer. */
  copied: number;
  buffered: number;
}

const copySource = (bucket: string, key: string) => `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;

async function getRange(s3: S3Client, bucket: string, key: string, range?: string, signal?: AbortSignal): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }), { abortSignal: signal });
  return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** Uploads the header and the parts as one object; aborts the upload on any failure. */
export async function assembleObject(input: AssemblyInput): Promise<Assembled> {
  const { s3, bucket, key, signal } = input;
  const opts = { abortSignal: signal };
  for (const part of input.parts) {
    if (part.bytes > MAX_PART_BYTES) throw new Error(`part ${part.key} is ${part.bytes} bytes, beyond S3's 5 GiB part limit`);
  }
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: "text/csv; charset=utf-8",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: input.kmsKeyId,
    }),
    opts,
  );
  const done: CompletedPart[] = [];
  let pending: Buffer[] = [Buffer.from(input.header, "utf8")];
  let pendingBytes = pending[0]?.length ?? 0;
  let copied = 0;
  let buffered = 0;
  const flush = async () => {
    const PartNumber = done.length + 1;
    const out = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: Buffer.concat(pending) }),
      opts,
    );
    done.push({ PartNumber, ETag: out.ETag });
    pending = [];
    pendingBytes = 0;
  };
  const copy = async (partKey: string, from: number, to: number, size: number) => {
    const PartNumber = done.length + 1;
    const range = from === 0 && to === size ? undefined : `bytes=${from}-${to - 1}`;
    const out = await s3.send(
      new UploadPartCopyCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber,
        CopySource: copySource(bucket, partKey),
        CopySourceRange: range,
      }),
      opts,
    );
    done.push({ PartNumber, ETag: out.CopyPartResult?.ETag });
  };
  try {
    for (const part of input.parts) {
      if (part.bytes === 0) continue;
      const need = pendingBytes === 0 ? 0 : Math.max(0, MIN_PART_BYTES - pendingBytes);
      if (pendingBytes === 0 && part.bytes >= MIN_PART_BYTES) {
        await copy(part.key, 0, part.bytes, part.bytes);
        copied++;
      } else if (pendingBytes > 0 && part.bytes - need >= MIN_PART_BYTES) {
        // The buffer is below 5 MiB (else it was flushed), so `need` is at least one byte.
        pending.push(await getRange(s3, bucket, part.key, `bytes=0-${need - 1}`, signal));
        await flush();
        await copy(part.key, need, part.bytes, part.bytes);
        copied++;
      } else {
        pending.push(await getRange(s3, bucket, part.key, undefined, signal));
        pendingBytes += part.bytes;
        buffered++;
        if (pendingBytes >= MIN_PART_BYTES) await flush();
      }
    }
    if (pendingBytes > 0 || done.length === 0) await flush();
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }),
      opts,
    );
    const hashed = await hashObject(s3, bucket, key, completed.VersionId, signal);
    return { ...hashed, versionId: completed.VersionId, copied, buffered };
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => {});
    throw error;
  }
}

/** Reads an object (that version) once: its size and sha256. */
async function hashObject(s3: S3Client, bucket: string, key: string, versionId: string | undefined, signal?: AbortSignal) {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }), { abortSignal: signal });
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** Deletes a run's work objects (the export's files, the parts); best effort, after the commit. */
export async function removeWork(s3: S3Client, bucket: string, work: string): Promise<void> {
  const keys = await listKeys(s3, bucket, `${work}/`);
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }),
    );
  }
}
