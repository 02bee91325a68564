/**
 * The query read path: when TRAZABILIDAD has the day index (a GSI keyed on the writer-set `dia`,
 * `YYYY-MM-DD` in the business zone, projecting ALL), the export reads each day's partition
 * instead of scanning the table. Membership is still decided by `fecha`: the caller routes every
 * item read by its fecha, so a record whose `dia` disagrees is never exported in the wrong day.
 */
import type { AttributeValue, DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { addDays, type Day } from "./day-window";
import { inFlight } from "./in-flight";
import { type Item, SCAN_PAGE_ITEMS, type ScanClient } from "./scan";

/** The writer-set day attribute: `YYYY-MM-DD`, the day `fecha` falls on in the business zone. */
export const DAY_ATTRIBUTE = "dia";
/** The GSI on DAY_ATTRIBUTE, as cloudformation/traceability.yaml names it. */
export const DAY_INDEX = "dia-index";

export const READ_PATHS = ["scan", "query"] as const;
export type ReadPath = (typeof READ_PATHS)[number];

/**
 * True when the table description shows the day index usable: ACTIVE, hash key DAY_ATTRIBUTE
 * (a string) and projection ALL (anything less would drop columns from the CSV).
 */
export function hasDayIndex(table: DescribeTableCommandOutput["Table"]): boolean {
  const index = table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === DAY_INDEX);
  if (index?.IndexStatus !== "ACTIVE" || index.Projection?.ProjectionType !== "ALL") return false;
  const hash = index.KeySchema?.find((k) => k.KeyType === "HASH");
  const type = table?.AttributeDefinitions?.find((a) => a.AttributeName === DAY_ATTRIBUTE)?.AttributeType;
  return hash?.AttributeName === DAY_ATTRIBUTE && type === "S";
}

/**
 * The day partitions read for `days`: each day and its neighbours, so a record written with the
 * previous or next day in `dia` (a writer that used UTC instead of the business zone) is still
 * found, and then routed by its fecha.
 */
export function partitionsFor(days: readonly Day[]): Day[] {
  const all = new Set<Day>();
  for (const day of days) for (const d of [addDays(day, -1), day, addDays(day, 1)]) all.add(d);
  return [...all].sort();
}

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
