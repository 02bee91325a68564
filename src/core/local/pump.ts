/**
 * The local stand-in for what the emulator cannot run (Lambda event source mappings and
 * EventBridge Pipes): read each table's real stream records and hand them to the same handler
 * code that is deployed. Checkpoints are saved per consumer and shard only after the records
 * are handled, so a restart neither skips nor repeats; a failed record stops its shard there
 * (as a stream does) and is retried on the next run.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord } from "aws-lambda";
import type { Reporter } from "../reporter";
import { readStream, type StreamCheckpoint } from "../streams";

export interface StreamConsumer {
  /** Stable name, the checkpoint's key (e.g. "audit", "archive:TRAZABILIDAD"). */
  name: string;
  streamArn: string;
  /**
   * Handles records of one shard, in order. Returns how many, from the start, were handled;
   * fewer than given means the next one failed and must be retried.
   */
  handle(records: DynamoDBRecord[]): Promise<number>;
}

export interface ConsumerResult {
  name: string;
  read: number;
  handled: number;
  failed: number;
}

type CheckpointFile = Record<string, Record<string, StreamCheckpoint>>;

function loadCheckpoints(path: string): CheckpointFile {
  if (!existsSync(path)) return {};
  return JSON.parse(readFileSync(path, "utf8")) as CheckpointFile;
}

function saveCheckpoints(path: string, checkpoints: CheckpointFile): void {
  mkdirSync(dirname(path), { recursive: true });
  // Write-then-rename: an interruption never leaves a torn checkpoint file.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(checkpoints, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Runs every consumer once over the records that arrived since its checkpoint. */
export async function pumpStreams(options: {
  streams: DynamoDBStreamsClient;
  consumers: readonly StreamConsumer[];
  checkpointFile: string;
  reporter: Reporter;
  signal?: AbortSignal;
}): Promise<ConsumerResult[]> {
  const checkpoints = loadCheckpoints(options.checkpointFile);
  const results: ConsumerResult[] = [];
  for (const consumer of options.consumers) {
    options.signal?.throwIfAborted();
    const saved = checkpoints[consumer.name]?.[consumer.streamArn] ?? {};
    const { shards } = await readStream(options.streams, consumer.streamArn, saved, { signal: options.signal });
    const next: StreamCheckpoint = { ...saved };
    const result: ConsumerResult = { name: consumer.name, read: 0, handled: 0, failed: 0 };
    for (const shard of shards) {
      result.read += shard.records.length;
      const handled = await consumer.handle(shard.records);
      result.handled += handled;
      if (handled < shard.records.length) {
        result.failed += 1;
        options.reporter.warn(`${consumer.name}: record ${shard.records[handled]?.eventID} failed; it will be retried on the next run`);
      }
      const last = shard.records[handled - 1]?.dynamodb?.SequenceNumber;
      if (last) next[shard.shardId] = last;
    }
    checkpoints[consumer.name] = { ...checkpoints[consumer.name], [consumer.streamArn]: next };
    saveCheckpoints(options.checkpointFile, checkpoints);
    results.push(result);
  }
  return results;
}
