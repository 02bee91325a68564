/**
 * The archiver's core: one EventBridge event (a REMOVE stream record forwarded by the Pipe, whole
 * or as a claim check) → one encrypted object in the data bucket. Failures throw, so Lambda
 * retries the invocation and finally sends the event to the dead-letter queue: nothing is dropped
 * silently. The redrive archives records read back from the stream with the same function.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import { tableFromStreamArn, toArchiveObject } from "./archive-object";
import { type BusRecord, claimedRecord } from "./claim-check";
import type { KeySchema } from "./key-schema";
import { PIPE_EVENT_SOURCE } from "./pipe-event";

export interface ArchiverDeps {
  s3: Pick<S3Client, "send">;
  /** Key schema of a table (only asked for items with a sort key); cache it across events. */
  keySchema: (table: string) => Promise<KeySchema>;
  bucket: string;
  kmsKeyArn: string;
  reporter: Reporter;
  now?: () => Date;
}

export type ArchiveStatus = "archived" | "already-archived" | "ignored";

export interface ArchiveOutcome {
  status: ArchiveStatus;
  objectKey?: string;
  eventId?: string;
}

function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "PreconditionFailed" || e?.$metadata?.httpStatusCode === 412;
}

/**
 * Archives the stream record carried by one event from the archive bus. The object is written
 * with `If-None-Match: *`: the same event delivered twice (EventBridge delivers at least once)
 * finds its object already there and changes nothing. Events that are not REMOVE records are
 * ignored with a warning (the rule should never send them).
 */
export async function archiveRemoveEvent(deps: ArchiverDeps, event: unknown): Promise<ArchiveOutcome> {
  const e = event as { source?: unknown; detail?: BusRecord } | undefined;
  if (!e || e.source !== PIPE_EVENT_SOURCE || typeof e.detail !== "object" || e.detail === null) {
    throw new TraceError(
      ErrorCode.failed,
      `not an archive event (source ${JSON.stringify(e?.source)}): expected source "${PIPE_EVENT_SOURCE}"`,
      {
        hint: "the archiver is invoked by the archive bus rule; check the Pipe's target parameters",
      },
    );
  }
  if (e.detail.eventName !== "REMOVE") return archiveStreamRecord(deps, e.detail);
  return archiveStreamRecord(deps, await claimedRecord(deps.s3, e.detail));
}

/**
 * Archives one stream record (JSON form: binary as base64), as the Pipe delivered it or as the
 * redrive read it back. Records that are not REMOVE are ignored with a warning.
 */
export async function archiveStreamRecord(deps: ArchiverDeps, record: DynamoDBRecord): Promise<ArchiveOutcome> {
  if (record.eventName !== "REMOVE") {
    deps.reporter.warn("ignored a stream record that is not a deletion", { eventId: record.eventID, eventName: record.eventName });
    return { status: "ignored", ...(record.eventID ? { eventId: record.eventID } : {}) };
  }
  const keyCount = Object.keys(record.dynamodb?.Keys ?? {}).length;
  const schema = keyCount > 1 ? await deps.keySchema(tableFromStreamArn(record.eventSourceARN)) : undefined;
  const { objectKey, body } = toArchiveObject(record, schema, deps.now?.() ?? new Date());
  try {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: objectKey,
        Body: JSON.stringify(body),
        ContentType: "application/json",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: deps.kmsKeyArn,
        IfNoneMatch: "*",
        Metadata: { "deletion-kind": body.deletionKind },
      }),
    );
  } catch (error) {
    if (isPreconditionFailed(error)) {
      deps.reporter.info("already archived", { objectKey, eventId: record.eventID });
      return { status: "already-archived", objectKey, eventId: record.eventID as string };
    }
    throw toTraceError(error, `archive object s3://${deps.bucket}/${objectKey}`);
  }
  deps.reporter.info("archived", { objectKey, eventId: record.eventID, deletionKind: body.deletionKind });
  return { status: "archived", objectKey, eventId: record.eventID as string };
}
