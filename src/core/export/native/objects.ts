/**
 * The small S3 reads and writes of a native run's work objects (`native/<table>/dt=<day>/<run>/`):
 * JSON written with the data key and read back, and listings under a prefix.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

/** Writes a small JSON object of the run, encrypted with the data key. */
export async function putJson(s3: S3Client, at: { bucket: string; kmsKeyId: string }, key: string, value: unknown): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: at.bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: at.kmsKeyId,
    }),
  );
}

/** Reads back a JSON object. */
export async function getJson<T>(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<T> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  return JSON.parse((await out.Body?.transformToString("utf-8")) ?? "null") as T;
}

/** Every key under `prefix` that `keep` accepts, sorted. */
export async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
  keep: (key: string) => boolean = () => true,
  signal?: AbortSignal,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), {
      abortSignal: signal,
    });
    for (const o of page.Contents ?? []) if (o.Key && keep(o.Key)) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}
