/**
 * Reads back the records a failure pointer names (a shard, its first and last sequence numbers)
 * while the stream still holds them. "All data in DynamoDB Streams is subject to a 24-hour
 * lifetime" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html):
 * past that, GetShardIterator answers TrimmedDataAccessException (or the shard is gone), and the
 * records are reported lost rather than guessed at.
 */
import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord } from "aws-lambda";
import { toTraceError } from "../errors";
import { toLambdaRecord } from "./records";

/** A stream keeps a record this long after it was written. */
export const STREAM_RETENTION_MS = 24 * 3600 * 1000;

/** A batch's position, as failure records give it (DDBStreamBatchInfo). */
export interface StreamBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  approximateArrivalOfFirstRecord?: string;
  approximateArrivalOfLastRecord?: string;
  batchSize?: number;
  streamArn: string;
}

export type RangeRead = { found: true; records: DynamoDBRecord[] } | { found: false; reason: string };

/** Empty pages in a row before giving up on reaching the end of the range (GetRecords may return
 * an empty page before the part of the shard that holds records). */
const MAX_EMPTY_PAGES = 10;

// The record is gone (trimmed) or its shard is (shards are deleted 24 h after they close).
const TRIMMED = new Set(["TrimmedDataAccessException", "ResourceNotFoundException"]);

/**
 * The records from `startSequenceNumber` to `endSequenceNumber` of one shard, in the Lambda shape.
 * `found: false` when the stream no longer has the first of them.
 */
export async function readStreamRange(
  streams: Pick<DynamoDBStreamsClient, "send">,
  info: StreamBatchInfo,
  options: { region?: string; signal?: AbortSignal } = {},
): Promise<RangeRead> {
  const region = options.region ?? info.streamArn.split(":")[3] ?? "";
  const end = BigInt(info.endSequenceNumber);
  let iterator: string | undefined;
  try {
    const answer = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: info.streamArn,
        ShardId: info.shardId,
        ShardIteratorType: "AT_SEQUENCE_NUMBER",
        SequenceNumber: info.startSequenceNumber,
      }),
      { abortSignal: options.signal },
    );
    iterator = answer.ShardIterator;
  } catch (error) {
    const name = (error as { name?: string }).name ?? "";
    if (TRIMMED.has(name)) return { found: false, reason: `${name}: the stream no longer holds sequence ${info.startSequenceNumber}` };
    throw toTraceError(error, `stream ${info.streamArn} shard ${info.shardId}`);
  }
  const records: DynamoDBRecord[] = [];
  let empty = 0;
  while (iterator && empty < MAX_EMPTY_PAGES) {
    let page: GetRecordsCommandOutput;
    try {
      page = (await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }), {
        abortSignal: options.signal,
      })) as GetRecordsCommandOutput;
    } catch (error) {
      const name = (error as { name?: string }).name ?? "";
      if (TRIMMED.has(name)) return { found: false, reason: `${name} while reading shard ${info.shardId}` };
      throw toTraceError(error, `stream ${info.streamArn} shard ${info.shardId}`);
    }
    const batch = page.Records ?? [];
    empty = batch.length === 0 ? empty + 1 : 0;
    for (const raw of batch) {
      if (BigInt(raw.dynamodb?.SequenceNumber ?? "0") > end) return done(records, info);
      records.push(toLambdaRecord(raw, info.streamArn, region));
    }
    if (records.length > 0 && BigInt(records[records.length - 1]?.dynamodb?.SequenceNumber ?? "0") >= end) break;
    iterator = page.NextShardIterator;
  }
  return done(records, info);
}

function done(records: DynamoDBRecord[], info: StreamBatchInfo): RangeRead {
  if (records[0]?.dynamodb?.SequenceNumber !== info.startSequenceNumber) {
    return { found: false, reason: `the stream no longer holds sequence ${info.startSequenceNumber} of shard ${info.shardId}` };
  }
  return { found: true, records };
}

/** Milliseconds before the stream drops a record written at `createdAt` (negative: already past). */
export const timeLeftMs = (createdAt: Date, now: Date) => createdAt.getTime() + STREAM_RETENTION_MS - now.getTime();
