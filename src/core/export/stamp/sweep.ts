/**
 * The sweep: a scan of the whole table that stamps every item whose `dia` is missing or wrong,
 * run once per coverage epoch, after the epoch's first read of the stream. Together they cover
 * every item: one written before the sweep's scan began is seen by the scan (or, changed since,
 * by the stream), one written after it by the stream, which is read from before the scan began.
 * It resumes across runs from the scan's cursor kept in the ledger.
 */
import { type AttributeValue, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DAY_ATTRIBUTE } from "../read-query";
import { keepFailure, reasonOf, type StampContext } from "./failures";
import type { Ledger } from "./ledger";
import { EXPIRES_ATTRIBUTE, expiresAtOf, stampItem, stampNeeded } from "./stamp-item";

type Item = Record<string, AttributeValue>;

/** Items read per page of the sweep's scan (only keys, fecha, dia and expiresAt are fetched). */
const SWEEP_PAGE_ITEMS = 500;

/** Continues the sweep until it ends or `deadline`; the ledger's sweep state counts what it did. */
export async function continueSweep(
  ctx: StampContext & { now: () => number; deadline: number },
  ledger: Ledger,
  keyNames: readonly string[],
): Promise<void> {
  const sweep = ledger.coverage.sweep;
  if (sweep.finishedAt !== undefined) return;
  sweep.startedAt ??= ctx.now();
  const names: Record<string, string> = { "#f": "fecha", "#d": DAY_ATTRIBUTE, "#e": EXPIRES_ATTRIBUTE };
  keyNames.forEach((name, i) => {
    names[`#k${i}`] = name;
  });
  while (ctx.now() < ctx.deadline) {
    const page = await ctx.dynamodb.send(
      new ScanCommand({
        TableName: ctx.table,
        Limit: SWEEP_PAGE_ITEMS,
        ProjectionExpression: [...keyNames.map((_, i) => `#k${i}`), "#f", "#d", "#e"].join(", "),
        ExpressionAttributeNames: names,
        ExclusiveStartKey: sweep.cursor ? (JSON.parse(sweep.cursor) as Item) : undefined,
      }),
      { abortSignal: ctx.signal },
    );
    const listed = new Set(ledger.failures.map((f) => f.key));
    for (const item of page.Items ?? []) {
      const day = stampNeeded(item, ctx.timeZone);
      const key = Object.fromEntries(keyNames.map((name) => [name, item[name] as AttributeValue]));
      // A listed failure is retried by retryFailures, and keeps the record it was listed with.
      if (!day || listed.has(JSON.stringify(key))) continue;
      try {
        // Superseded: changed since the scan read it; the change's stream record is stamped.
        // Written before the stamper saw it, at a time not known here: expiresAt from now.
        const stamp = { day, expiresAt: expiresAtOf(ctx.now(), ctx.retentionDays) };
        if ((await stampItem(ctx.dynamodb, ctx.table, key, item.fecha, stamp, ctx.signal)) === "stamped") sweep.stamped++;
      } catch (error) {
        if ((error as Error)?.name !== "ValidationException") throw error;
        // Kept whole: the item as it stands, not the scan's projection of it.
        const whole = await ctx.dynamodb.send(new GetItemCommand({ TableName: ctx.table, Key: key, ConsistentRead: true }), {
          abortSignal: ctx.signal,
        });
        await keepFailure(ctx, ledger, { key, day, reason: reasonOf(error), record: { item: whole.Item ?? item }, at: ctx.now() });
      }
    }
    sweep.scanned += page.ScannedCount ?? page.Items?.length ?? 0;
    if (!page.LastEvaluatedKey) {
      delete sweep.cursor;
      sweep.finishedAt = ctx.now();
      break;
    }
    sweep.cursor = JSON.stringify(page.LastEvaluatedKey);
  }
}
