/**
 * Lambda artifacts: bundle each handler, zip it deterministically, key it by content
 * (`lambda/<function>/<sha256>.zip`) and upload it only when that key is not already there.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import { FUNCTIONS, type FunctionId } from "../stacks";
import { bundleFunction } from "./bundle";
import { deterministicZip, sha256Hex } from "./zip";

export interface Artifact {
  function: FunctionId;
  name: string;
  /** The S3 key, also the value of the function's code-key parameter. */
  key: string;
  sha256: string;
  bundleBytes: number;
  mapBytes: number;
  zipBytes: number;
  /** The bundle was reused from the cache (no input changed). */
  cached: boolean;
  zip: Buffer;
}

export interface PublishedArtifact extends Omit<Artifact, "zip"> {
  bucket: string;
  /** False when the key was already in the bucket (same content deployed before). */
  uploaded: boolean;
}

/** Bundles and zips one handler; the result's key depends only on its bytes. */
export async function buildArtifact(root: string, id: FunctionId): Promise<Artifact> {
  const bundle = await bundleFunction(root, id);
  const zip = await deterministicZip([
    { name: "index.mjs", data: bundle.code },
    { name: "index.mjs.map", data: bundle.map },
  ]);
  const sha256 = sha256Hex(zip);
  return {
    function: id,
    name: bundle.name,
    key: `lambda/${bundle.name}/${sha256}.zip`,
    sha256,
    bundleBytes: bundle.code.byteLength,
    mapBytes: bundle.map.byteLength,
    zipBytes: zip.byteLength,
    cached: bundle.cached,
    zip,
  };
}

/** Builds the artifacts of the given functions (in parallel: esbuild is fast and mostly waits on I/O). */
export function buildArtifacts(root: string, ids: readonly FunctionId[]): Promise<Artifact[]> {
  return Promise.all(ids.map((id) => buildArtifact(root, id)));
}

async function exists(s3: Pick<S3Client, "send">, bucket: string, key: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return true;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) return false;
    throw toTraceError(error, `artifact s3://${bucket}/${key}`);
  }
}

/** Uploads each artifact whose key is not yet in the bucket; says which were uploaded and which skipped. */
export async function publishArtifacts(
  s3: Pick<S3Client, "send">,
  bucket: string,
  artifacts: readonly Artifact[],
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<PublishedArtifact[]> {
  const published: PublishedArtifact[] = [];
  for (const artifact of artifacts) {
    const { zip, ...rest } = artifact;
    const present = await exists(s3, bucket, artifact.key, signal);
    if (!present) {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: artifact.key,
            Body: zip,
            ContentType: "application/zip",
            ChecksumAlgorithm: "SHA256",
          }),
          { abortSignal: signal },
        );
      } catch (error) {
        throw toTraceError(error, `uploading s3://${bucket}/${artifact.key}`);
      }
      reporter.info(`uploaded ${artifact.key}`);
    } else {
      reporter.debug(`unchanged, not uploaded: ${artifact.key}`);
    }
    published.push({ ...rest, bucket, uploaded: !present });
  }
  return published;
}

/** The functions whose code-key parameter a template declares. */
export function functionsOfTemplate(parameterNames: readonly string[]): FunctionId[] {
  return (Object.keys(FUNCTIONS) as FunctionId[]).filter((id) => parameterNames.includes(FUNCTIONS[id].codeKeyParameter));
}
