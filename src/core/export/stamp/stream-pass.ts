/**
 * One pass over the table's stream: every shard, parents before children, from the ledger's
 * position (or the oldest record the stream still holds), each INSERT or MODIFY whose new image
 * lacks the right `dia` stamped. The stamper reads the stream itself (DynamoDB Streams API)
 * rather than through a Lambda event source mapping because a mapping hides the shard and its
 * position from the function, and without them nothing could show that every record written
 * before a given instant has been stamped; here each shard's position and time are known and
 * kept in the ledger.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import { mapLimit } from "../../concurrency";
import { ErrorCode, toTraceError } from "../../errors";
import { keepFailure, reasonOf, type StampContext } from "./failures";
import type { Ledger, ShardState } from "./ledger";
import { expiresAtOf, stampItem, stampNeeded } from "./stamp-item";

type Item = Record<string, AttributeValue>;

/**
 * DynamoDB Streams keeps a record 24 hours ("Change data capture for DynamoDB Streams",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html). A shard not
 * read within that loses records; an hour's margin is kept for clocks and the schedule.
 */
export const STREAM_RETENTION_MS = 24 * 3_600_000;
export const RETENTION_SAFETY_MS = 3_600_000;
/**
 * How long a record may take to become readable after its ApproximateCreationDateTime (which
 * DynamoDB rounds to the second, and publishes "in near-real time" without a documented bound):
 * a shard read to its end at T is taken to hold every record created before T minus this.
 */
export const STREAM_MARGIN_MS = 60_000;
/** Stamps in flight at once within a page (order does not matter: each stamp is conditional on its fecha). */
const STAMPS_IN_FLIGHT = 16;

/** Why the coverage epoch ended: records may have left the stream unread. */
export class CoverageGap extends Error {}

export interface PassCounts {
  read: number;
  stamped: number;
  superseded: number;
  failed: number;
  /** Records found needing a stamp although created before the published watermark (see run.ts). */
  late: { day: string; key: string; at: number }[];
  /** Why a shard stopped at a record to retry next run (the first such reason). */
  retry?: string;
}

export interface PassContext extends StampContext {
  streams: Pick<DynamoDBStreamsClient, "send">;
  streamArn: string;
  now: () => number;
  /** Stop starting new reads after this instant (epoch ms). */
  deadline: number;
}

/** Every shard of the stream, all pages of DescribeStream. */
export async function listShards(ctx: Pick<PassContext, "streams" | "streamArn" | "signal">): Promise<Shard[]> {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const { StreamDescription: d } = await ctx.streams.send(
      new DescribeStreamCommand({ StreamArn: ctx.streamArn, ExclusiveStartShardId: start }),
      { abortSignal: ctx.signal },
    );
    shards.push(...(d?.Shards ?? []));
    start = d?.LastEvaluatedShardId;
  } while (start);
  return shards;
}

/**
 * Registers the listed shards in the ledger and checks nothing was lost since the last run: a
 * shard the ledger knows, not read to its end, that the stream no longer lists; or one listed
 * long ago and never read. Throws CoverageGap naming it. Finished shards that left are dropped.
 */
export function reconcileShards(ledger: Ledger, listed: readonly Shard[], now: number): void {
  const ids = new Set(listed.map((s) => s.ShardId as string));
  for (const [id, state] of Object.entries(ledger.shards)) {
    if (ids.has(id)) continue;
    if (!state.done) throw new CoverageGap(`shard ${id} left the stream before it was read to its end`);
    delete ledger.shards[id];
  }
  for (const id of ids) ledger.shards[id] ??= { listedAt: now };
  for (const [id, state] of Object.entries(ledger.shards)) {
    if (!state.seq && !state.done && now - state.listedAt > STREAM_RETENTION_MS - RETENTION_SAFETY_MS)
      throw new CoverageGap(`shard ${id} was listed ${Math.round((now - state.listedAt) / 3_600_000)} h ago and never read`);
  }
}

/** The shards to read, parents before children; a child waits while its listed parent is unfinished. */
export function readyShards(ledger: Ledger, listed: readonly Shard[]): Shard[] {
  const ids = new Set(listed.map((s) => s.ShardId));
  return listed.filter((s) => {
    if (ledger.shards[s.ShardId as string]?.done) return false;
    const parent = s.ParentShardId;
    return !parent || !ids.has(parent) || ledger.shards[parent]?.done === true;
  });
}

/**
 * The watermark the listed shards allow: the earliest of their marks (a finished shard sets
 * none; a shard waiting on an unfinished parent is bounded by that parent), and never later than
 * the listing itself less the margin (a shard created after it may hold later records only).
 */
export function shardsWatermark(ledger: Ledger, listed: readonly Shard[], listedAt: number): number {
  const ids = new Set(listed.map((s) => s.ShardId));
  let watermark = listedAt - STREAM_MARGIN_MS;
  for (const shard of listed) {
    const state = ledger.shards[shard.ShardId as string] as ShardState;
    if (state.done) continue;
    const parent = shard.ParentShardId;
    const waiting = parent !== undefined && ids.has(parent) && !ledger.shards[parent]?.done;
    if (waiting && state.mark === undefined) continue;
    watermark = Math.min(watermark, state.mark ?? 0);
  }
  return watermark;
}

/** Reads one shard from its position until its end, the budget, or a record to retry next run. */
export async function readShard(ctx: PassContext, ledger: Ledger, shard: Shard, counts: PassCounts): Promise<void> {
  const id = shard.ShardId as string;
  const state = ledger.shards[id] as ShardState;
  let iterator: string | undefined;
  try {
    ({ ShardIterator: iterator } = await ctx.streams.send(
      new GetShardIteratorCommand({
        StreamArn: ctx.streamArn,
        ShardId: id,
        ShardIteratorType: state.seq ? "AFTER_SEQUENCE_NUMBER" : "TRIM_HORIZON",
        ...(state.seq ? { SequenceNumber: state.seq } : {}),
      }),
      { abortSignal: ctx.signal },
    ));
  } catch (error) {
    if ((error as Error)?.name === "TrimmedDataAccessException")
      throw new CoverageGap(`shard ${id}: the records after ${state.seq} have left the stream unread`);
    throw error;
  }
  while (iterator && ctx.now() < ctx.deadline) {
    const calledAt = ctx.now();
    const page = await ctx.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }), { abortSignal: ctx.signal });
    const records = page.Records ?? [];
    const finished = await handleRecords(ctx, ledger, state, records, counts);
    if (finished < records.length) return; // a record to retry: the shard stops there until the next run
    if (!page.NextShardIterator) {
      state.done = true;
      return;
    }
    // The end of an open shard: everything created before this call (less the margin) is handled.
    if (records.length === 0) {
      state.mark = Math.max(state.mark ?? 0, calledAt - STREAM_MARGIN_MS);
      return;
    }
    iterator = page.NextShardIterator;
  }
}

type Outcome = "done" | "retry";

/** Handles a page's records; advances the shard's position over the finished prefix; returns its length. */
async function handleRecords(ctx: PassContext, ledger: Ledger, state: ShardState, records: StreamRecord[], counts: PassCounts) {
  const outcomes = await mapLimit(records, STAMPS_IN_FLIGHT, (record) => handleRecord(ctx, ledger, record, counts), ctx.signal);
  let finished = 0;
  while (finished < outcomes.length && outcomes[finished] === "done") finished++;
  const last = records[finished - 1]?.dynamodb;
  if (last?.SequenceNumber) {
    state.seq = last.SequenceNumber;
    const created = last.ApproximateCreationDateTime?.getTime();
    if (created !== undefined) state.mark = Math.max(state.mark ?? 0, created - STREAM_MARGIN_MS);
  }
  counts.read += finished;
  return finished;
}

/** The record's key from its new image, by the key attribute names its `Keys` carries. */
function keyOf(record: StreamRecord, image: Item): Item {
  const names = Object.keys(record.dynamodb?.Keys ?? {});
  return Object.fromEntries(names.map((name) => [name, image[name] as AttributeValue]));
}

async function handleRecord(ctx: PassContext, ledger: Ledger, record: StreamRecord, counts: PassCounts): Promise<Outcome> {
  const image = record.dynamodb?.NewImage as Item | undefined;
  if (record.eventName === "REMOVE" || !image) return "done";
  const day = stampNeeded(image, ctx.timeZone);
  if (!day) return "done";
  const key = keyOf(record, image);
  const created = record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0;
  try {
    const stamp = { day, expiresAt: expiresAtOf(created || ctx.now(), ctx.retentionDays) };
    const outcome = await stampItem(ctx.dynamodb, ctx.table, key, image.fecha, stamp, ctx.signal);
    counts[outcome]++;
    if (outcome === "stamped" && created < ledger.watermark) counts.late.push({ day, key: JSON.stringify(key), at: ctx.now() });
    return "done";
  } catch (error) {
    // The item cannot take the attribute (over 400 KB with it, say): kept whole, listed, retried each run.
    if ((error as Error)?.name === "ValidationException") {
      counts.failed++;
      await keepFailure(ctx, ledger, { key, day, reason: reasonOf(error), record, at: ctx.now() });
      return "done";
    }
    // Access, credentials, a missing table, an interrupt: the whole run fails loudly.
    if (FATAL.has(toTraceError(error).code)) throw error;
    // Throttling past the SDK's retries, a dropped connection: this shard waits for the next run.
    counts.retry ??= reasonOf(error);
    return "retry";
  }
}

const FATAL = new Set<string>([ErrorCode.accessDenied, ErrorCode.credentials, ErrorCode.notFound, ErrorCode.interrupted]);
