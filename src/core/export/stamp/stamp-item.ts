/**
 * The product's own day attribute. The table's writers owe us `id`, `fecha` and `estado` only
 * (../shared/DESIGN.md), so `dia` — the key of the day index — is derived here from `fecha` and
 * written by the stamper, never asked of the writers: the day `fecha` falls on in the business
 * zone, or UNREADABLE_DAY for a record whose fecha cannot be read (so the query path can count
 * those as the scan does). The table keeps a record at most `retentionDays` (../shared/DESIGN.md:
 * "TTL attribute so items live at most the retention days"), and that TTL attribute is not the
 * writers' either: the stamper gives an item that has none `expiresAt` = its write time +
 * retentionDays (epoch seconds, as TTL reads it), and never changes one a writer set.
 */
import { type AttributeValue, ConditionalCheckFailedException, type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { Day } from "../day-window";
import { dayOfFecha } from "../fecha-day";
import { DAY_ATTRIBUTE } from "../read-query";

type Item = Record<string, AttributeValue>;

/** The table's TTL attribute (traceability.yaml, TimeToLiveSpecification). */
export const EXPIRES_ATTRIBUTE = "expiresAt";

const DAY_SECONDS = 86_400;

/**
 * The `expiresAt` of an item written at `writtenAt` (epoch ms): retentionDays later, in epoch
 * seconds, "the format of the Unix epoch time format in seconds" TTL requires
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-before-you-start.html).
 */
export const expiresAtOf = (writtenAt: number, retentionDays: number) => Math.ceil(writtenAt / 1000) + retentionDays * DAY_SECONDS;

/** The `dia` of a record whose fecha is missing or unreadable: one partition the query path reads to count them. */
export const UNREADABLE_DAY = "sin-fecha";

/** The `dia` an item must carry: its fecha's day in the zone, or UNREADABLE_DAY. */
export function dayStampOf(item: Item, timeZone: string): Day {
  return dayOfFecha(item.fecha, timeZone) ?? UNREADABLE_DAY;
}

/** The stamp an item still needs (its day), or undefined when its `dia` is right and it has an `expiresAt`. */
export function stampNeeded(item: Item, timeZone: string): Day | undefined {
  const day = dayStampOf(item, timeZone);
  return item[DAY_ATTRIBUTE]?.S === day && item[EXPIRES_ATTRIBUTE] !== undefined ? undefined : day;
}

export type StampOutcome = "stamped" | "superseded";

/**
 * Sets `dia` on the item with these key attributes, only while the item still holds the `fecha`
 * the day was derived from: a newer write (another fecha, or a deletion) makes the condition
 * fail, and the update never overwrites it — the newer write has its own stream record, which
 * is stamped in turn. Only `dia` is written, and `expiresAt` where the item has none
 * (`if_not_exists`); every other attribute stays as the writer left it.
 * Other failures (the item too large to take the attribute, throttling past the SDK's retries,
 * access) are thrown.
 */
export async function stampItem(
  dynamodb: Pick<DynamoDBClient, "send">,
  table: string,
  key: Item,
  fecha: AttributeValue | undefined,
  stamp: { day: Day; expiresAt: number },
  signal?: AbortSignal,
): Promise<StampOutcome> {
  const keyName = Object.keys(key)[0] as string;
  try {
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: "SET #dia = :dia, #exp = if_not_exists(#exp, :exp)",
        ConditionExpression: fecha ? "attribute_exists(#k) AND #fecha = :fecha" : "attribute_exists(#k) AND attribute_not_exists(#fecha)",
        ExpressionAttributeNames: { "#dia": DAY_ATTRIBUTE, "#exp": EXPIRES_ATTRIBUTE, "#k": keyName, "#fecha": "fecha" },
        ExpressionAttributeValues: {
          ":dia": { S: stamp.day },
          ":exp": { N: String(stamp.expiresAt) },
          ...(fecha ? { ":fecha": fecha } : {}),
        },
      }),
      { abortSignal: signal },
    );
    return "stamped";
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error)?.name === "ConditionalCheckFailedException")
      return "superseded";
    throw error;
  }
}
