/**
 * What the archive chain's hops accept, as AWS documents it, and the sizes our events take there.
 *
 * - PutEvents (the Pipe's call to the bus): "You can batch multiple event entries into one request
 *   for efficiency. The total entry size must be less than 256KB." An entry's size is "Time" 14
 *   bytes if given, plus the UTF-8 bytes of Source, DetailType, Detail and each of Resources
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html). "256KB" is
 *   read here as 256,000 bytes, the stricter of its decimal and binary (262,144) readings.
 * - A Pipe batches at most 10 entries per PutEvents to a bus, and hands a Lambda enrichment "the
 *   full batch event payload ... constrained by the total payload size of the event ... Lambda
 *   function (6MB)" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html).
 */
import { PIPE_DETAIL_TYPE, PIPE_EVENT_SOURCE } from "./pipe-event";

/** PutEvents: the total entry size of one request must be less than this (see above). */
export const PUT_EVENTS_LIMIT_BYTES = 256_000;
/** PutEvents entries a Pipe sends to an event bus at once. */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** A Lambda enrichment's request (the batch as JSON): 6 MB. */
export const LAMBDA_ENRICHMENT_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * The largest entry the claim check lets through inline. Far under PutEvents' limit on purpose:
 * the event the archiver finally receives is this entry inside the bus's envelope, re-serialized
 * by EventBridge, which may escape characters the Pipe sent raw (a 2-byte UTF-8 character can
 * become a 6-byte \u escape, 3x); 3 x 64 KiB + the envelope stays under 256,000 bytes.
 */
export const INLINE_ENTRY_LIMIT_BYTES = 65_536;

/** One PutEvents entry as the Pipe builds it: its target parameters and a record as Detail. */
export interface PutEventsEntry {
  Time?: unknown;
  Source: string;
  DetailType: string;
  Detail?: string;
  Resources?: readonly string[];
}

const utf8 = (text: string) => Buffer.byteLength(text, "utf8");

/** An entry's size as EventBridge computes it (eb-putevent-size.html). */
export function putEventsEntrySize(entry: PutEventsEntry): number {
  let size = entry.Time !== undefined ? 14 : 0;
  size += utf8(entry.Source) + utf8(entry.DetailType);
  if (entry.Detail !== undefined) size += utf8(entry.Detail);
  for (const resource of entry.Resources ?? []) size += utf8(resource);
  return size;
}

/** The total entry size of one PutEvents request. */
export const putEventsRequestSize = (entries: readonly PutEventsEntry[]) => entries.reduce((sum, e) => sum + putEventsEntrySize(e), 0);

/**
 * The entry the archive Pipe puts on the bus for one payload (a stream record, or what the
 * enrichment returned for it). Time is counted as given: the Pipe may set it.
 */
export function pipeEntry(payload: unknown): PutEventsEntry {
  return { Time: true, Source: PIPE_EVENT_SOURCE, DetailType: PIPE_DETAIL_TYPE, Detail: JSON.stringify(payload) };
}
