// The stamper's shard bookkeeping on AWS's documented DescribeStream response (a lineage of four
// shards, the last open): parents are read before children, lost or stale shards end the
// coverage epoch, and the watermark is bounded by every unfinished shard.
import type { Shard } from "@aws-sdk/client-dynamodb-streams";
import { describe, expect, it } from "vitest";
import { freshLedger, type Ledger } from "../../../../../src/core/export/stamp/ledger";
import {
  CoverageGap,
  readyShards,
  reconcileShards,
  STREAM_MARGIN_MS,
  shardsWatermark,
} from "../../../../../src/core/export/stamp/stream-pass";
import { DESCRIBE_STREAM_SHARDS as SHARDS } from "../../../../fixtures/aws-responses/streams";

const NOW = Date.parse("2026-11-23T18:00:00Z");
const ids = (shards: Shard[]) => shards.map((s) => s.ShardId);
const [root, second, third, open] = SHARDS.map((s) => s.ShardId as string) as [string, string, string, string];

function ledger(): Ledger {
  return freshLedger("T", "arn:stream", "Europe/Madrid", NOW - 60_000);
}

describe("reading the documented lineage", () => {
  it("reads the oldest unfinished shard first; a child waits for its listed parent", () => {
    const l = ledger();
    reconcileShards(l, SHARDS, NOW);
    expect(ids(readyShards(l, SHARDS))).toEqual([root]);
    (l.shards[root] as { done?: boolean }).done = true;
    expect(ids(readyShards(l, SHARDS))).toEqual([second]);
    (l.shards[second] as { done?: boolean }).done = true;
    (l.shards[third] as { done?: boolean }).done = true;
    expect(ids(readyShards(l, SHARDS))).toEqual([open]);
  });

  it("a child whose parent has left the stream (read to its end long ago) is ready", () => {
    const l = ledger();
    const listed = SHARDS.slice(2);
    reconcileShards(l, listed, NOW);
    expect(ids(readyShards(l, listed))).toEqual([third]);
  });

  it("a shard the ledger had not finished that leaves the stream is a coverage gap; a finished one is dropped", () => {
    const l = ledger();
    reconcileShards(l, SHARDS, NOW);
    (l.shards[root] as { done?: boolean }).done = true;
    reconcileShards(l, SHARDS.slice(1), NOW);
    expect(l.shards[root]).toBeUndefined();
    expect(() => reconcileShards(l, SHARDS.slice(2), NOW)).toThrow(CoverageGap);
  });

  it("a shard listed 23 hours ago and never read is a coverage gap (the stream keeps records 24 h)", () => {
    const l = ledger();
    reconcileShards(l, SHARDS, NOW - 23 * 3_600_000 - 1);
    for (const id of [root, second, third]) Object.assign(l.shards[id] as object, { done: true });
    expect(() => reconcileShards(l, SHARDS, NOW)).toThrow(/never read/);
  });
});

describe("the watermark", () => {
  it("is the earliest mark of the unfinished shards, never later than the listing less the margin", () => {
    const l = ledger();
    reconcileShards(l, SHARDS, NOW);
    for (const id of [root, second, third]) Object.assign(l.shards[id] as object, { done: true });
    Object.assign(l.shards[open] as object, { mark: NOW - 5_000 });
    expect(shardsWatermark(l, SHARDS, NOW)).toBe(NOW - STREAM_MARGIN_MS);
    Object.assign(l.shards[open] as object, { mark: NOW - 3_600_000 });
    expect(shardsWatermark(l, SHARDS, NOW)).toBe(NOW - 3_600_000);
  });

  it("a shard never read holds it at zero, unless it waits on an unfinished parent that bounds it", () => {
    const l = ledger();
    reconcileShards(l, SHARDS, NOW);
    // Nothing read yet: the root has no mark.
    expect(shardsWatermark(l, SHARDS, NOW)).toBe(0);
    Object.assign(l.shards[root] as object, { mark: NOW - 7_200_000 });
    // The children wait on unfinished parents and have no marks: the root's bounds them all.
    expect(shardsWatermark(l, SHARDS, NOW)).toBe(NOW - 7_200_000);
    Object.assign(l.shards[root] as object, { done: true });
    // The root finished: its child is ready and unread, so nothing can be claimed past zero.
    expect(shardsWatermark(l, SHARDS, NOW)).toBe(0);
  });
});
