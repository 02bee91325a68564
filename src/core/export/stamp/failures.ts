/**
 * Stamps that failed are kept, not dropped: the whole record (the stream record, or the item as
 * the sweep read it) goes to `index/<table>/failed/<name>.json` in the data bucket and the ledger
 * lists it with the day it needs, so the export of that day scans instead of trusting the index,
 * and each later run tries the stamp again until the item takes it (or is gone).
 */

import { createHash } from "node:crypto";
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { putJson } from "../native/objects";
import { DAY_ATTRIBUTE } from "../read-query";
import { type Ledger, ledgerPrefix, type StampFailure } from "./ledger";
import { EXPIRES_ATTRIBUTE, expiresAtOf, stampItem, stampNeeded } from "./stamp-item";

type Item = Record<string, AttributeValue>;

/** Failures the ledger lists at most; beyond, `failuresOverflow` makes every day scan. */
export const MAX_LISTED_FAILURES = 1000;

export interface StampContext {
  dynamodb: Pick<DynamoDBClient, "send">;
  s3: S3Client;
  table: string;
  bucket: string;
  kmsKeyId: string;
  timeZone: string;
  /** The table's retention: an item the stamper gives `expiresAt` keeps it this many days after its write. */
  retentionDays: number;
  signal?: AbortSignal;
}

const keyText = (key: Item) => JSON.stringify(key);

/** Keeps the record whole beside the ledger and lists it (once per key: the latest reason wins). */
export async function keepFailure(
  ctx: StampContext,
  ledger: Ledger,
  failure: { key: Item; day: string; reason: string; record: unknown; at: number },
): Promise<void> {
  const name = createHash("sha256").update(keyText(failure.key)).digest("hex").slice(0, 32);
  const kept = `${ledgerPrefix(ctx.table)}/failed/${name}.json`;
  await putJson(ctx.s3, ctx, kept, {
    table: ctx.table,
    key: failure.key,
    day: failure.day,
    reason: failure.reason,
    record: failure.record,
  });
  const entry: StampFailure = { key: keyText(failure.key), day: failure.day, kept, reason: failure.reason, at: failure.at };
  const i = ledger.failures.findIndex((f) => f.key === entry.key);
  if (i >= 0) ledger.failures[i] = { ...entry, at: ledger.failures[i]?.at ?? entry.at };
  else if (ledger.failures.length < MAX_LISTED_FAILURES) ledger.failures.push(entry);
  else ledger.failuresOverflow = true;
}

/**
 * Tries each listed failure again: an item that is gone, already right, or now stamped leaves
 * the list; one that still fails stays (its reason refreshed). At most `limit` a run.
 */
export async function retryFailures(ctx: StampContext, ledger: Ledger, limit = 100): Promise<{ resolved: number; still: number }> {
  let resolved = 0;
  const keep: StampFailure[] = [];
  for (const [i, failure] of ledger.failures.entries()) {
    if (i >= limit) {
      keep.push(failure);
      continue;
    }
    const key = JSON.parse(failure.key) as Item;
    const { Item: item } = await ctx.dynamodb.send(
      new GetItemCommand({
        TableName: ctx.table,
        Key: key,
        ProjectionExpression: "#f, #d, #e",
        ExpressionAttributeNames: { "#f": "fecha", "#d": DAY_ATTRIBUTE, "#e": EXPIRES_ATTRIBUTE },
        ConsistentRead: true,
      }),
      { abortSignal: ctx.signal },
    );
    const day = item ? stampNeeded(item, ctx.timeZone) : undefined;
    if (!day) {
      resolved++;
      continue;
    }
    try {
      // Superseded: the item changed since the read; the change's own stream record is stamped.
      // Its write time is not known here: from now, which never expires it sooner than its write would.
      const stamp = { day, expiresAt: expiresAtOf(Date.now(), ctx.retentionDays) };
      await stampItem(ctx.dynamodb, ctx.table, key, item?.fecha, stamp, ctx.signal);
      resolved++;
    } catch (error) {
      keep.push({ ...failure, day, reason: reasonOf(error) });
    }
  }
  ledger.failures = keep;
  return { resolved, still: keep.length };
}

export const reasonOf = (error: unknown) => `${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`;
