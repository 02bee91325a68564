/**
 * `trace audit redrive`: writes the audit entries of the Configuration batches the stream mapping
 * gave up on. Its on-failure destination is the data bucket, which keeps each failed batch whole:
 * "For Amazon S3 destinations, Lambda also sends the entire invocation record along with the
 * metadata" (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html), one
 * object per batch under `aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/...`
 * (kinesis-on-failure-destination.html). The records come from the object's `payload.Records`
 * (test/fixtures/aws-events/lambda-dynamodb-on-failure-s3-object.json says what AWS documents of
 * it); an object without them is read back from the stream by its DDBStreamBatchInfo while the
 * stream holds the records (24 h). Entries are idempotent (derived ids, conditional puts), so a
 * record audited twice makes no second entry. An object whose records are all audited is deleted
 * (the bucket's versioning keeps it as a noncurrent version for 90 days); the others stay.
 */

import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import { readStreamRange, type StreamBatchInfo, timeLeftMs } from "../streams/range";
import { auditRecord, type PutItemPort } from "./writer";

/** Where Lambda writes an S3 destination's objects (kinesis-on-failure-destination.html). */
export const FAILURE_PREFIX = "aws/lambda/";

export interface AuditRedriveDeps {
  s3: Pick<S3Client, "send">;
  dynamodb: PutItemPort;
  streams: Pick<DynamoDBStreamsClient, "send">;
  bucket: string;
  auditTableName: string;
  /** Only failures of this stream (the Configuration table's) are redriven. */
  streamArn: string;
  reporter: Reporter;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface RedrivenRecord {
  eventId: string;
  eventName: string;
  itemKey: string;
  sequenceNumber: string;
  status: "audited" | "already-audited" | "failed";
  entries: number;
  written: number;
  error?: string;
}

export interface FailureObjectReport {
  key: string;
  /** Where the records came from: the object itself, or the stream (the object held no records). */
  from: "object" | "stream";
  records: RedrivenRecord[];
  /** Audited and deleted. */
  settled: boolean;
  /** Records neither in the object nor in the stream any more. */
  lost?: { reason: string; timeLeftMs?: number };
  error?: string;
}

export interface AuditRedriveReport {
  bucket: string;
  objects: FailureObjectReport[];
  /** Entries written by this run. */
  written: number;
  /** Records whose entries were all there already. */
  alreadyAudited: number;
  failed: number;
  lost: number;
  /** Failure objects of other mappings (another stream), left alone. */
  otherMappings: number;
}

interface FailureObject {
  DDBStreamBatchInfo?: StreamBatchInfo;
  payload?: { Records?: DynamoDBRecord[] };
}

async function listFailureObjects(deps: AuditRedriveDeps): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.bucket, Prefix: FAILURE_PREFIX, ContinuationToken: token }), {
      abortSignal: deps.signal,
    });
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function readObject(deps: AuditRedriveDeps, key: string): Promise<FailureObject> {
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }), { abortSignal: deps.signal });
  return JSON.parse((await object.Body?.transformToString("utf8")) ?? "{}") as FailureObject;
}

async function auditOne(deps: AuditRedriveDeps, record: DynamoDBRecord): Promise<RedrivenRecord> {
  const described = {
    eventId: record.eventID ?? "",
    eventName: record.eventName ?? "",
    itemKey: Object.values(record.dynamodb?.Keys ?? {})
      .map((v) => (v as { S?: string }).S ?? JSON.stringify(v))
      .join(","),
    sequenceNumber: record.dynamodb?.SequenceNumber ?? "",
  };
  try {
    const result = await auditRecord(deps.dynamodb, deps.auditTableName, record, deps.signal);
    return { ...described, status: result.written > 0 || result.entries === 0 ? "audited" : "already-audited", ...result };
  } catch (error) {
    return { ...described, status: "failed", entries: 0, written: 0, error: toTraceError(error).message };
  }
}

/** The records of one failure object: its payload, or the stream by its position. */
async function recordsOf(
  deps: AuditRedriveDeps,
  object: FailureObject,
): Promise<{ from: "object" | "stream"; records: DynamoDBRecord[] } | { lost: NonNullable<FailureObjectReport["lost"]> }> {
  const kept = object.payload?.Records;
  if (Array.isArray(kept) && kept.length > 0) return { from: "object", records: kept };
  const pointer = object.DDBStreamBatchInfo as StreamBatchInfo;
  const read = await readStreamRange(deps.streams, pointer, { ...(deps.signal ? { signal: deps.signal } : {}) });
  if (read.found) return { from: "stream", records: read.records };
  const first = Date.parse(pointer.approximateArrivalOfFirstRecord ?? "");
  const left = Number.isFinite(first) ? timeLeftMs(new Date(first), deps.now?.() ?? new Date()) : undefined;
  return { lost: { reason: read.reason, ...(left !== undefined ? { timeLeftMs: left } : {}) } };
}

async function redriveObject(deps: AuditRedriveDeps, key: string, object: FailureObject): Promise<FailureObjectReport> {
  const source = await recordsOf(deps, object);
  if ("lost" in source) return { key, from: "stream", records: [], settled: false, lost: source.lost };
  const records: RedrivenRecord[] = [];
  // In stream order, as the mapping delivered them: a key's changes are audited oldest first.
  for (const record of source.records) records.push(await auditOne(deps, record));
  const settled = records.every((r) => r.status !== "failed");
  if (settled) await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }), { abortSignal: deps.signal });
  return { key, from: source.from, records, settled };
}

/** Redrives every failure object of the Configuration stream's mapping; see the module comment. */
export async function redriveAuditFailures(deps: AuditRedriveDeps): Promise<AuditRedriveReport> {
  const objects: FailureObjectReport[] = [];
  let otherMappings = 0;
  for (const key of await listFailureObjects(deps)) {
    let object: FailureObject;
    try {
      object = await readObject(deps, key);
    } catch (error) {
      objects.push({ key, from: "object", records: [], settled: false, error: toTraceError(error, `s3://${deps.bucket}/${key}`).message });
      continue;
    }
    if (object.DDBStreamBatchInfo?.streamArn !== deps.streamArn) {
      otherMappings++;
      continue;
    }
    try {
      objects.push(await redriveObject(deps, key, object));
    } catch (error) {
      objects.push({ key, from: "object", records: [], settled: false, error: toTraceError(error).message });
    }
    deps.reporter.debug("failure object redriven", { key });
  }
  const records = objects.flatMap((o) => o.records);
  return {
    bucket: deps.bucket,
    objects,
    written: records.reduce((sum, r) => sum + r.written, 0),
    alreadyAudited: records.filter((r) => r.status === "already-audited").length,
    failed: records.filter((r) => r.status === "failed").length + objects.filter((o) => o.error).length,
    lost: objects.filter((o) => o.lost).length,
    otherMappings,
  };
}
