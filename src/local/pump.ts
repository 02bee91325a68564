/**
 * The local stand-in for what the emulator cannot run (Lambda event source mappings and
 * EventBridge Pipes): read each table's real stream records and hand them to the same handler
 * code that is deployed. Checkpoints are saved per consumer and shard only after the records
 * are done (handled, or given up on and sent to a failure queue as the deployed service does),
 * so a restart neither skips nor repeats; a record a consumer neither handles nor gives up on
 * stops its shard there and is retried on the next run.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord } from "aws-lambda";
import type { Reporter } from "../core/reporter";
import { readStream, type StreamCheckpoint } from "./streams";

export interface StreamConsumer {
  /** Stable name, the checkpoint's key (e.g. "audit", "archive:TRAZABILIDAD"). */
  name: string;
  streamArn: string;
  /**
   * Handles records of one shard, in order. `done` counts the records, from the start, that are
   * finished (handled or discarded); fewer than given means the next one must be retried.
   */
  handle(records: DynamoDBRecord[], shardId: string): Promise<ShardOutcome>;
}

/** Records a consumer gave up on after the configured retries, and where their failure went. */
export interface DiscardedRecords {
  consumer: string;
  records: number;
  firstEventId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** Invocations made before giving up. */
  attempts: number;
  reason: string;
  /** The failure queue written to, or the object the batch was kept as (`s3://bucket/key`); neither: dropped. */
  queueUrl?: string;
  messageId?: string;
  object?: string;
}

export interface ShardOutcome {
  done: number;
  discarded: DiscardedRecords[];
}

export interface ConsumerResult {
  name: string;
  read: number;
  /** Records finished: handled, or discarded to the failure queue. */
  handled: number;
  /** Shards stopped at a record that will be retried on the next run. */
  failed: number;
  /** Records given up on in this run (sent to the failure queue). */
  discarded: number;
  failures: DiscardedRecords[];
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
    const result: ConsumerResult = { name: consumer.name, read: 0, handled: 0, failed: 0, discarded: 0, failures: [] };
    for (const shard of shards) {
      result.read += shard.records.length;
      const { done: handled, discarded } = await consumer.handle(shard.records, shard.shardId);
      result.handled += handled;
      for (const d of discarded) {
        result.discarded += d.records;
        result.failures.push(d);
        options.reporter.warn(
          `${consumer.name}: gave up on ${d.records} record(s) from ${d.firstEventId} after ${d.attempts} attempt(s) (${d.reason}); ${
            d.queueUrl
              ? `failure sent to ${d.queueUrl}`
              : d.object
                ? `batch kept whole as ${d.object}`
                : "no failure destination configured, dropped"
          }`,
        );
      }
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
