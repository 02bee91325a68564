/**
 * The claim check between the archive Pipe and the bus. A REMOVE record carries the whole old
 * item (up to 400 KB) and PutEvents takes less than 256 KB per request (event-size.ts), so the
 * Pipe's enrichment (lambda/archive-claims.ts) writes a record whose entry would pass
 * INLINE_ENTRY_LIMIT_BYTES to `archive-claims/<table>/<eventID>.json` in the data bucket and
 * passes on the record without its images plus `claim: {bucket, key, bytes, sha256}`. The
 * archiver reads the object back, checks it, and archives the record as the stream gave it.
 * Smaller records travel as they are. The bucket's lifecycle expires claims after 30 days.
 */
import { createHash } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import { tableFromStreamArn } from "./archive-object";
import { INLINE_ENTRY_LIMIT_BYTES, pipeEntry, putEventsEntrySize } from "./event-size";
import { MAX_EVENT_ID_BYTES } from "./object-key";

export const CLAIM_PREFIX = "archive-claims/";

/** Where the whole record is, and how to know it is the one that was written. */
export interface ClaimRef {
  bucket: string;
  key: string;
  /** UTF-8 bytes of the stored JSON. */
  bytes: number;
  /** Hex SHA-256 of the stored JSON. */
  sha256: string;
}

/** A record as the bus carries it: whole, or without its images and with a claim check. */
export type BusRecord = DynamoDBRecord & { claim?: ClaimRef };

export interface ClaimStore {
  s3: Pick<S3Client, "send">;
  bucket: string;
  kmsKeyArn: string;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** `archive-claims/<table>/<eventID>.json`; an eventID longer than the archive allows is hashed. */
export function claimKey(record: DynamoDBRecord): string {
  const eventId = record.eventID ?? "";
  if (!eventId) throw new TraceError(ErrorCode.failed, "stream record without an eventID: cannot name its claim check");
  const name = Buffer.byteLength(eventId, "utf8") <= MAX_EVENT_ID_BYTES ? encodeURIComponent(eventId) : `=sha256=${sha256(eventId)}`;
  return `${CLAIM_PREFIX}${tableFromStreamArn(record.eventSourceARN)}/${name}.json`;
}

/** The record without its images, and the claim check in their place. */
function stub(record: DynamoDBRecord, claim: ClaimRef): BusRecord {
  const { OldImage: _old, NewImage: _new, ...rest } = record.dynamodb ?? {};
  return { ...record, dynamodb: rest, claim };
}

/**
 * The enrichment's work on one record: passes it on as it is when its PutEvents entry fits
 * INLINE_ENTRY_LIMIT_BYTES, else stores it and passes on the claim check. Same record, same key
 * and content: a retried Pipe execution rewrites the same object.
 */
export async function checkIn(store: ClaimStore, record: DynamoDBRecord): Promise<BusRecord> {
  if (putEventsEntrySize(pipeEntry(record)) <= INLINE_ENTRY_LIMIT_BYTES) return record;
  const body = JSON.stringify(record);
  const claim: ClaimRef = { bucket: store.bucket, key: claimKey(record), bytes: Buffer.byteLength(body, "utf8"), sha256: sha256(body) };
  try {
    await store.s3.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: claim.key,
        Body: body,
        ContentType: "application/json",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: store.kmsKeyArn,
      }),
    );
  } catch (error) {
    throw toTraceError(error, `claim check s3://${store.bucket}/${claim.key}`);
  }
  const checked = stub(record, claim);
  const size = putEventsEntrySize(pipeEntry(checked));
  if (size > INLINE_ENTRY_LIMIT_BYTES) {
    // Only an eventID or keys far beyond anything AWS documents could get here.
    throw new TraceError(ErrorCode.failed, `record ${record.eventID}: even its claim check is ${size} bytes as an event`, {
      hint: "the pipe retries, then its dead-letter queue and archive_redrive archive the record from the stream",
    });
  }
  return checked;
}

/**
 * The record a bus event carries: the record itself, or the one its claim check names, read back
 * and checked (size, SHA-256, eventID) so that nothing but the record that was written is archived.
 */
export async function claimedRecord(s3: Pick<S3Client, "send">, record: BusRecord): Promise<DynamoDBRecord> {
  const claim = record.claim;
  if (!claim) return record;
  let text: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: claim.bucket, Key: claim.key }));
    text = (await object.Body?.transformToString("utf8")) ?? "";
  } catch (error) {
    const traced = toTraceError(error, `claim check s3://${claim.bucket}/${claim.key} of record ${record.eventID}`);
    if (traced.code !== ErrorCode.notFound) throw traced;
    throw new TraceError(ErrorCode.notFound, traced.message, {
      hint: "claim checks expire 30 days after they are written (base stack lifecycle)",
      cause: error,
    });
  }
  if (Buffer.byteLength(text, "utf8") !== claim.bytes || sha256(text) !== claim.sha256) {
    throw new TraceError(ErrorCode.failed, `claim check s3://${claim.bucket}/${claim.key} is not the record that was written`, {
      hint: "its size or SHA-256 differs from the claim; the object was changed after the pipe wrote it",
    });
  }
  const whole = JSON.parse(text) as DynamoDBRecord;
  if (whole.eventID !== record.eventID) {
    throw new TraceError(ErrorCode.failed, `claim check ${claim.key} holds record ${whole.eventID}, not ${record.eventID}`);
  }
  return whole;
}
