/**
 * Parallel scan: `segments` independent Scan loops over the low-level client, so values come
 * back as AttributeValue maps (numbers as DynamoDB's exact text). Throttling is retried by the
 * client (adaptive retry mode); the first failure stops every other segment.
 */
import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";

export type Item = Record<string, AttributeValue>;

export interface ScanOptions {
  table: string;
  segments: number;
  signal: AbortSignal;
  /** Called once per page, never concurrently with itself for the same segment. */
  onPage(items: Item[], scannedCount: number): Promise<void> | void;
}

export type ScanClient = Pick<DynamoDBClient, "send">;

export async function parallelScan(dynamodb: ScanClient, options: ScanOptions): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const segment = async (index: number) => {
    let startKey: Item | undefined;
    do {
      signal.throwIfAborted();
      const page = await dynamodb.send(
        new ScanCommand({
          TableName: options.table,
          ...(options.segments > 1 ? { Segment: index, TotalSegments: options.segments } : {}),
          ExclusiveStartKey: startKey,
        }),
        { abortSignal: signal },
      );
      await options.onPage(page.Items ?? [], page.ScannedCount ?? page.Items?.length ?? 0);
      startKey = page.LastEvaluatedKey;
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
