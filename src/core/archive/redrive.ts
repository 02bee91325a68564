/**
 * Recovering deletions that did not reach the archive, from the two kinds of dead letters the
 * archive chain leaves (docs/archive.md, "Limits and recovery"):
 * - a pipe's pointer (PipeDeadLetterQueue, or parked in ArchiveDeadLetterQueue): the batch's
 *   position in the stream (DDBStreamBatchInfo), not its records. The records are read back from
 *   the stream by sequence number while the stream still holds them (24 hours after they were
 *   written) and archived; past that they are reported lost;
 * - a whole event (ArchiveDeadLetterQueue: the rule's or the function's dead letters): archived
 *   from the event itself, a claim check read back from S3.
 * The archive writer is idempotent (If-None-Match), so recovering a record twice changes nothing.
 * archive_redrive (lambda/archive-redrive.ts) and `trace archive redrive` both use this.
 */
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord } from "aws-lambda";
import { toTraceError } from "../errors";
import { readStreamRange, type StreamBatchInfo, timeLeftMs } from "../streams/range";
import { deletedAtOf, tableFromStreamArn } from "./archive-object";
import { keyText } from "./dynamo-json";
import { PIPE_EVENT_SOURCE, toPipeBusEvent } from "./pipe-event";
import { type ArchiveOutcome, type ArchiverDeps, archiveRemoveEvent, archiveStreamRecord } from "./writer";

export type DeadLetter =
  | { kind: "pointer"; pointer: StreamBatchInfo }
  | { kind: "event"; event: { source: string; detail: DynamoDBRecord } }
  | { kind: "unknown"; reason: string };

export type RecordStatus = "archived" | "already-archived" | "ignored" | "failed";

export interface RecoveredRecord {
  table: string;
  /** Key attribute name → its text (S as is, N decimal, B base64). */
  keys: Record<string, string>;
  eventId: string;
  sequenceNumber: string;
  status: RecordStatus;
  objectKey?: string;
  error?: string;
  /** Pointers only: how long the stream still holds the record (negative: past). */
  timeLeftMs?: number;
}

export interface DeadLetterOutcome {
  kind: DeadLetter["kind"];
  pointer?: StreamBatchInfo;
  records: RecoveredRecord[];
  /** Every record is in the archive now: the message can go. */
  settled: boolean;
  /** A pointer whose records the stream no longer holds. */
  lost?: { reason: string; timeLeftMs?: number };
  /** An unknown message, or a pointer that could not be read (transient: retry). */
  error?: string;
}

export interface RedriveDeps {
  streams: Pick<DynamoDBStreamsClient, "send">;
  archiver: ArchiverDeps;
  now?: () => Date;
  signal?: AbortSignal;
}

const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** What a dead-letter message holds: a stream pointer, a whole archive event, or neither. */
export function classifyDeadLetter(body: string): DeadLetter {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { kind: "unknown", reason: "the message is not JSON" };
  }
  const info = parsed?.DDBStreamBatchInfo as Partial<StreamBatchInfo> | undefined;
  if (info && isText(info.shardId) && isText(info.startSequenceNumber) && isText(info.endSequenceNumber) && isText(info.streamArn)) {
    return { kind: "pointer", pointer: info as StreamBatchInfo };
  }
  if (parsed?.source === PIPE_EVENT_SOURCE && typeof parsed.detail === "object" && parsed.detail !== null) {
    return { kind: "event", event: parsed as { source: string; detail: DynamoDBRecord } };
  }
  return { kind: "unknown", reason: "neither a stream pointer (DDBStreamBatchInfo) nor an archive event (source trace.archive)" };
}

function describe(record: DynamoDBRecord, now: Date | undefined): Omit<RecoveredRecord, "status"> {
  const keys: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.dynamodb?.Keys ?? {})) {
    try {
      keys[name] = keyText(value);
    } catch {
      keys[name] = JSON.stringify(value);
    }
  }
  let table = "?";
  try {
    table = tableFromStreamArn(record.eventSourceARN);
  } catch {}
  const left = now ? safeTimeLeft(record, now) : undefined;
  return {
    table,
    keys,
    eventId: record.eventID ?? "",
    sequenceNumber: record.dynamodb?.SequenceNumber ?? "",
    ...(left !== undefined ? { timeLeftMs: left } : {}),
  };
}

function safeTimeLeft(record: DynamoDBRecord, now: Date): number | undefined {
  try {
    return timeLeftMs(new Date(deletedAtOf(record)), now);
  } catch {
    return undefined;
  }
}

async function archiveOne(work: () => Promise<ArchiveOutcome>, described: Omit<RecoveredRecord, "status">): Promise<RecoveredRecord> {
  try {
    const outcome = await work();
    return { ...described, status: outcome.status, ...(outcome.objectKey ? { objectKey: outcome.objectKey } : {}) };
  } catch (error) {
    return { ...described, status: "failed", error: toTraceError(error).message };
  }
}

/** Reads a pointer's records back from the stream and archives its deletions. */
export async function recoverPointer(deps: RedriveDeps, pointer: StreamBatchInfo): Promise<DeadLetterOutcome> {
  const now = deps.now?.() ?? new Date();
  let read: Awaited<ReturnType<typeof readStreamRange>>;
  try {
    read = await readStreamRange(deps.streams, pointer, { ...(deps.signal ? { signal: deps.signal } : {}) });
  } catch (error) {
    return { kind: "pointer", pointer, records: [], settled: false, error: toTraceError(error).message };
  }
  if (!read.found) {
    const first = pointer.approximateArrivalOfFirstRecord ? Date.parse(pointer.approximateArrivalOfFirstRecord) : Number.NaN;
    const left = Number.isFinite(first) ? timeLeftMs(new Date(first), now) : undefined;
    return {
      kind: "pointer",
      pointer,
      records: [],
      settled: false,
      lost: { reason: read.reason, ...(left !== undefined ? { timeLeftMs: left } : {}) },
    };
  }
  const records: RecoveredRecord[] = [];
  // The pipe passed on only deletions (its filter); the range may hold other records between them.
  for (const record of read.records.filter((r) => r.eventName === "REMOVE")) {
    // As the Pipe delivers it: JSON (binary as base64).
    const json = toPipeBusEvent(record).detail;
    records.push(await archiveOne(() => archiveStreamRecord(deps.archiver, json), describe(json, now)));
  }
  return { kind: "pointer", pointer, records, settled: records.every((r) => r.status !== "failed") };
}

/** Archives the record a whole dead-lettered event carries (a claim check is read back). */
export async function recoverEvent(deps: RedriveDeps, event: { source: string; detail: DynamoDBRecord }): Promise<DeadLetterOutcome> {
  const record = await archiveOne(() => archiveRemoveEvent(deps.archiver, event), describe(event.detail, undefined));
  return { kind: "event", records: [record], settled: record.status !== "failed" };
}

/** Recovers what one dead-letter message names. */
export async function recoverDeadLetter(deps: RedriveDeps, body: string): Promise<DeadLetterOutcome> {
  const letter = classifyDeadLetter(body);
  if (letter.kind === "pointer") return recoverPointer(deps, letter.pointer);
  if (letter.kind === "event") return recoverEvent(deps, letter.event);
  return { kind: "unknown", records: [], settled: false, error: letter.reason };
}
