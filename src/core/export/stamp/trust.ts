/**
 * Whether an export may read the day index: only when it can show the index holds every record
 * of the days it exports, else it scans and says why. The index is trusted when it is ACTIVE (not
 * backfilling), the stamper's ledger belongs to this table's stream and zone, its sweep of the
 * items written before it started has finished, no record of the days failed to take its stamp,
 * and its watermark (every write before it is stamped) is within the late-write slack of now: the
 * query then holds each day as written up to the watermark, where a scan holds it as written up
 * to its start. Such a day is complete once the watermark has passed its end plus the slack.
 */
import type { DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import { type Day, dayWindow } from "../day-window";
import { DAY_ATTRIBUTE, indexUnusable } from "../read-query";
import type { Ledger } from "./ledger";
import { UNREADABLE_DAY } from "./stamp-item";

type TableDescription = DescribeTableCommandOutput["Table"];

export interface IndexTrust {
  readPath: "query" | "scan";
  /** One sentence: why this path (recorded in the manifest as `readPathReason`). */
  reason: string;
  /** Query only: every write before this instant (epoch ms) is in the index. */
  watermark?: number;
}

export interface TrustInput {
  description: TableDescription;
  /** The ledger; null when none exists, undefined when it could not be looked for (with `ledgerUnknown`). */
  ledger: Ledger | null | undefined;
  ledgerUnknown?: string;
  days: readonly Day[];
  timeZone: string;
  now: number;
  slackMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The instant the stamping must have passed for an export starting at `now`: now less the slack, whatever the day. */
export function requiredWatermark(now: number, slackMs: number): number {
  return now - slackMs;
}

/** A query read up to `watermark` holds `day` whole once the watermark has passed its end plus the slack. */
export function queryComplete(day: Day, timeZone: string, watermark: number, slackMs: number): boolean {
  return watermark >= dayWindow(day, timeZone).end + slackMs;
}

/** Decides the read path of one read over `days` (the days of one scan group). */
export function trustDayIndex(input: TrustInput): IndexTrust {
  const scan = (reason: string): IndexTrust => ({ readPath: "scan", reason });
  const unusable = indexUnusable(input.description);
  if (unusable) return scan(unusable);
  const { ledger } = input;
  if (ledger === undefined) return scan(input.ledgerUnknown ?? "the stamping ledger could not be read");
  if (ledger === null) return scan("the stamper has not run yet: no ledger shows the index complete");
  if (ledger.streamArn !== input.description?.LatestStreamArn) return scan("the stamping ledger belongs to another stream of the table");
  if (ledger.timeZone !== input.timeZone)
    return scan(`the index was stamped in ${ledger.timeZone}, this export reads days in ${input.timeZone}`);
  const { sweep } = ledger.coverage;
  if (sweep.finishedAt === undefined)
    return scan(`the stamper is still sweeping the items written before it started (${sweep.scanned} read so far)`);
  if (ledger.failuresOverflow) return scan("more records failed to take their stamp than the ledger lists");
  const failed = ledger.failures.filter((f) => f.day === UNREADABLE_DAY || input.days.includes(f.day));
  if (failed.length > 0)
    return scan(
      `${failed.length} record(s) of ${[...new Set(failed.map((f) => f.day))].join(", ")} could not be stamped (${failed[0]?.reason})`,
    );
  const needed = requiredWatermark(input.now, input.slackMs);
  if (ledger.watermark < needed)
    return scan(`the stamping is behind: every write before ${iso(ledger.watermark)} is stamped, this read needs ${iso(needed)}`);
  return {
    readPath: "query",
    reason: `every write before ${iso(ledger.watermark)} carries its ${DAY_ATTRIBUTE}`,
    watermark: ledger.watermark,
  };
}
