/**
 * Parallel scan: `segments` independent Scan loops over the low-level client, so values come
 * back as AttributeValue maps (numbers as DynamoDB's exact text). Throttling is retried by the
 * client (adaptive retry mode); the first failure stops every other segment.
 */
import { setMaxListeners } from "node:events";
import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { inFlight } from "./in-flight";

export type Item = Record<string, AttributeValue>;

/**
 * Items per Scan page. DynamoDB's own cap is 1 MB, a few thousand small records, which the SDK
 * holds twice while it parses (the JSON tree and its own copy): a page that large outlives the
 * young generation's collections, is promoted, and the old generation grows to a few times the
 * live heap before a full collection (the process peaked at ~270 MB for 100k rows). Pages of
 * 500 die young; measured with `npm run bench -- export` (process peak RSS, and CPU per item).
 */
export const SCAN_PAGE_ITEMS = 500;

/** A FilterExpression with its names and values, applied by DynamoDB after reading each page. */
export interface ScanFilter {
  FilterExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
}

export interface ScanOptions {
  table: string;
  segments: number;
  signal: AbortSignal;
  /** Items per page at most (default SCAN_PAGE_ITEMS; fewer with many segments: in-flight.ts); DynamoDB still stops a page at 1 MB. */
  pageItems?: number;
  /** Returned items only; ScannedCount still counts every item read. */
  filter?: ScanFilter;
  /** Strongly consistent pages (twice the read cost): a drill's reference must hold every acknowledged write. */
  consistentRead?: boolean;
  /**
   * Called once per page, never concurrently with itself for the same segment. The array is the
   * caller's: emptying it as items are consumed lets them be collected before the page ends.
   */
  onPage(items: Item[], scannedCount: number): Promise<void> | void;
}

export type ScanClient = Pick<DynamoDBClient, "send">;

export async function parallelScan(dynamodb: ScanClient, options: ScanOptions): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  // One abort listener per request waiting or in flight (the SDK removes it when the request settles).
  setMaxListeners(options.segments + 10, signal);
  // What is in flight is bounded across the segments, not per segment (in-flight.ts).
  const { pageItems, gate } = inFlight(options.segments, options.pageItems ?? SCAN_PAGE_ITEMS);
  const segment = async (index: number) => {
    let startKey: Item | undefined;
    do {
      const release = await gate.acquire();
      try {
        signal.throwIfAborted();
        const page = await dynamodb.send(
          new ScanCommand({
            TableName: options.table,
            ...(options.segments > 1 ? { Segment: index, TotalSegments: options.segments } : {}),
            ExclusiveStartKey: startKey,
            Limit: pageItems,
            ...(options.consistentRead ? { ConsistentRead: true } : {}),
            ...options.filter,
          }),
          { abortSignal: signal },
        );
        startKey = page.LastEvaluatedKey;
        await options.onPage(page.Items ?? [], page.ScannedCount ?? page.Items?.length ?? 0);
      } finally {
        release();
      }
    } while (startKey);
  };
  const results = await Promise.allSettled(
    Array.from({ length: options.segments }, (_, i) =>
      segment(i).catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
    ),
  );
  // Report the first real failure, not the aborts it caused in the other segments.
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
  if (failures.length) throw failures.find((e) => (e as Error)?.name !== "AbortError") ?? failures[0];
}
