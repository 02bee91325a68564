/**
 * Reads a DynamoDB stream through the DynamoDB Streams API and turns its records into the
 * shape Lambda delivers (`DynamoDBRecord`), so the local path feeds the same handler code
 * the deployed event source mapping does. Checkpoints (last sequence number per shard) make
 * a restart neither skip nor repeat.
 */
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord } from "aws-lambda";
import { toLambdaRecord } from "../core/streams/records";

/** Last sequence number processed, per shard id. */
export type StreamCheckpoint = Record<string, string>;

export interface ShardRecords {
  shardId: string;
  records: DynamoDBRecord[];
}

export interface ReadStreamResult {
  /** Every record, shard after shard, oldest first within a shard. */
  records: DynamoDBRecord[];
  /** The same records grouped by shard, for consumers that checkpoint per shard. */
  shards: ShardRecords[];
  checkpoint: StreamCheckpoint;
}

/**
 * Reads every record after the checkpoint from every shard of the stream, oldest first per
 * shard. Returns the records and the advanced checkpoint (persist it only once they are handled).
 */
export async function readStream(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  checkpoint: StreamCheckpoint = {},
  options: { region?: string; signal?: AbortSignal; maxPerShard?: number } = {},
): Promise<ReadStreamResult> {
  const next: StreamCheckpoint = { ...checkpoint };
  const records: DynamoDBRecord[] = [];
  const byShard: ShardRecords[] = [];
  const region = options.region ?? (await streams.config.region());
  let shards: { ShardId?: string }[] = [];
  let exclusiveStart: string | undefined;
  do {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStart }),
      { abortSignal: options.signal },
    );
    shards = shards.concat(StreamDescription?.Shards ?? []);
    exclusiveStart = StreamDescription?.LastEvaluatedShardId;
  } while (exclusiveStart);

  for (const shard of shards) {
    if (!shard.ShardId) continue;
    const after = next[shard.ShardId];
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: after ? "AFTER_SEQUENCE_NUMBER" : "TRIM_HORIZON",
        ...(after ? { SequenceNumber: after } : {}),
      }),
      { abortSignal: options.signal },
    );
    let iterator = ShardIterator;
    let taken = 0;
    const shardRecords: DynamoDBRecord[] = [];
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }), { abortSignal: options.signal });
      const batch = page.Records ?? [];
      for (const record of batch) {
        shardRecords.push(toLambdaRecord(record, streamArn, region));
        if (record.dynamodb?.SequenceNumber) next[shard.ShardId] = record.dynamodb.SequenceNumber;
      }
      taken += batch.length;
      // An empty page means we reached the tip of an open shard: stop polling it.
      if (batch.length === 0 || (options.maxPerShard !== undefined && taken >= options.maxPerShard)) break;
      iterator = page.NextShardIterator;
    }
    if (shardRecords.length > 0) {
      byShard.push({ shardId: shard.ShardId, records: shardRecords });
      records.push(...shardRecords);
    }
  }
  return { records, shards: byShard, checkpoint: next };
}
