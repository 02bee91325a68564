/**
 * The query read path: when TRAZABILIDAD has the day index (a GSI keyed on `dia`, `YYYY-MM-DD` in
 * the business zone, projecting ALL, which the product's stamper derives from `fecha`: stamp/), the
 * export reads each day's partition instead of scanning the table, once stamp/trust.ts shows the
 * index complete. Membership is still decided by `fecha`: the caller routes every item read by its
 * fecha, so a record whose `dia` disagrees is never exported in the wrong day.
 */

import { setMaxListeners } from "node:events";
import type { AttributeValue, DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import { QueryCommand } from "@aws-sdk/client-dynamodb";
import type { Day } from "./day-window";
import { inFlight } from "./in-flight";
import { type Item, SCAN_PAGE_ITEMS, type ScanClient } from "./scan";

/** The product's day attribute: `YYYY-MM-DD`, the day `fecha` falls on in the business zone (stamp/stamp-item.ts). */
export const DAY_ATTRIBUTE = "dia";
/** The GSI on DAY_ATTRIBUTE, as cloudformation/traceability.yaml names it. */
export const DAY_INDEX = "dia-index";

export const READ_PATHS = ["scan", "query"] as const;

type TableDescription = DescribeTableCommandOutput["Table"];

/**
 * Why the table's day index cannot be queried, or undefined when it can: it must exist, be ACTIVE
 * (DynamoDB backfills an index added to a table while it is CREATING), be keyed on DAY_ATTRIBUTE
 * (a string) and project ALL (anything less would drop columns from the CSV).
 */
export function indexUnusable(table: TableDescription): string | undefined {
  const index = table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === DAY_INDEX);
  if (!index) return `table has no ${DAY_INDEX}`;
  if (index.IndexStatus !== "ACTIVE") return `${DAY_INDEX} is ${index.IndexStatus ?? "not ACTIVE"} (DynamoDB is still building it)`;
  if (index.Projection?.ProjectionType !== "ALL") return `${DAY_INDEX} projects ${index.Projection?.ProjectionType}, not ALL`;
  const hash = index.KeySchema?.find((k) => k.KeyType === "HASH");
  const type = table?.AttributeDefinitions?.find((a) => a.AttributeName === DAY_ATTRIBUTE)?.AttributeType;
  if (hash?.AttributeName !== DAY_ATTRIBUTE || type !== "S") return `${DAY_INDEX} is not keyed on ${DAY_ATTRIBUTE} (a string)`;
  return undefined;
}

/** True when the table's day index can be queried (see indexUnusable). */
export const hasDayIndex = (table: TableDescription): boolean => indexUnusable(table) === undefined;

export interface QueryDaysOptions {
  table: string;
  partitions: readonly Day[];
  signal: AbortSignal;
  /** Called once per page, never concurrently with itself for the same partition. */
  onPage(items: Item[], scannedCount: number): Promise<void> | void;
}

/** Queries every day partition in parallel, page by page; the first failure stops the others. */
export async function queryDays(dynamodb: ScanClient, options: QueryDaysOptions): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  // One abort listener per request waiting or in flight (the SDK removes it when the request settles).
  setMaxListeners(options.partitions.length + 10, signal);
  // Pages as the scan's, and what is in flight bounded across the partitions (in-flight.ts).
  const { pageItems, gate } = inFlight(options.partitions.length, SCAN_PAGE_ITEMS);
  const partition = async (day: Day) => {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const release = await gate.acquire();
      try {
        signal.throwIfAborted();
        const page = await dynamodb.send(
          new QueryCommand({
            TableName: options.table,
            IndexName: DAY_INDEX,
            KeyConditionExpression: "#d = :d",
            ExpressionAttributeNames: { "#d": DAY_ATTRIBUTE },
            ExpressionAttributeValues: { ":d": { S: day } },
            ExclusiveStartKey: startKey,
            Limit: pageItems,
          }),
          { abortSignal: signal },
        );
        await options.onPage(page.Items ?? [], page.ScannedCount ?? page.Items?.length ?? 0);
        startKey = page.LastEvaluatedKey;
      } finally {
        release();
      }
    } while (startKey);
  };
  const results = await Promise.allSettled(
    options.partitions.map((day) =>
      partition(day).catch((error: unknown) => {
        stop.abort(error);
        throw error;
      }),
    ),
  );
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
  if (failures.length) throw failures.find((e) => (e as Error)?.name !== "AbortError") ?? failures[0];
}
