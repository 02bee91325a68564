/**
 * When a drill compares a restore of the past with the source as it is now, the source may have
 * moved on since the restore point. A difference is accounted for only by a rule AWS or the
 * product documents, never by guessing:
 * - the item expired: its TTL attribute (the table's, from DescribeTimeToLive) is in the past, and
 *   DynamoDB deletes expired items in the background ("Time to Live", DynamoDB Developer Guide:
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html);
 * - the item was written after the restore point: its own time (`fecha` for TRAZABILIDAD,
 *   `modificationTime` for Audit) is later than the restore point less the late-write slack
 *   (`lateWriteSlackMinutes`: how long after its `fecha` a record may still be written,
 *   docs/export.md). An item changed in place (an `estado` update) keeps its time and is
 *   therefore not accounted for: the drill names it. The rule trusts writers to write `fecha` when
 *   the record happens (a record dated in the future and lost would be taken for a later write);
 *   the default drill, compared with the source read just before its restore point, uses no rule.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { dayWindow } from "../export/day-window";
import { parseFecha } from "../export/fecha";
import type { Difference, Images } from "./compare";
import type { Item } from "./items";

export interface ExplainRules {
  /** The restore point, epoch ms. */
  restorePoint: number;
  /** The drill's clock, epoch ms. */
  now: number;
  /** The table's TTL attribute (epoch seconds), when TTL is on. */
  ttlAttribute?: string | undefined;
  /** The instant an item was written at the latest, when the table's items say (see writeTimeRule). */
  writeTime?: ((item: Item) => number | undefined) | undefined;
  /** How long after its own time an item may still be written, ms. */
  slackMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Why the difference is not a loss, or undefined when no rule accounts for it. */
export function explain(difference: Difference, images: Images, rules: ExplainRules): string | undefined {
  const { source, restored } = images;
  const after = (item: Item | undefined) => {
    const time = item && rules.writeTime?.(item);
    return time !== undefined && time >= rules.restorePoint - rules.slackMs ? time : undefined;
  };
  if (difference.kind === "extra" && restored && rules.ttlAttribute) {
    const expires = ttlSeconds(restored[rules.ttlAttribute]);
    if (expires !== undefined && expires * 1000 <= rules.now)
      return `expired (${rules.ttlAttribute} ${iso(expires * 1000)}): deleted by TTL since the restore point`;
  }
  // A changed item is accounted for only when it was written anew with a later time: one changed in
  // place (the same time in both images) was there at the restore point, as the restore shows.
  const rewritten = difference.kind === "changed" && restored && source && writeTimeOf(rules, restored) !== writeTimeOf(rules, source);
  const written = difference.kind === "missing" || rewritten ? after(source) : undefined;
  if (written !== undefined)
    return `${difference.kind === "missing" ? "written" : "rewritten"} after the restore point (its time ${iso(written)}, within the late-write slack of ${iso(rules.restorePoint)})`;
  return undefined;
}

const writeTimeOf = (rules: ExplainRules, item: Item) => rules.writeTime?.(item);

/** A TTL value: a number of epoch seconds (DynamoDB ignores any other type for TTL). */
function ttlSeconds(value: AttributeValue | undefined): number | undefined {
  if (value?.N === undefined) return undefined;
  const n = Number(value.N);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The write-time rule of a seed table: TRAZABILIDAD's `fecha` (a plain date counts as its day's
 * end in the business zone), Audit's `modificationTime`; none for Configuration, whose items carry
 * no time of their own.
 */
export function writeTimeRule(seed: string | undefined, timeZone: string): ((item: Item) => number | undefined) | undefined {
  if (seed === "TRAZABILIDAD") {
    return (item) => {
      const fecha = parseFecha(item.fecha);
      if (!fecha) return undefined;
      return fecha.kind === "instant" ? fecha.instant : dayWindow(fecha.day, timeZone).end;
    };
  }
  if (seed === "Audit") {
    return (item) => {
      const text = item.modificationTime?.S;
      const time = text ? Date.parse(text) : Number.NaN;
      return Number.isNaN(time) ? undefined : time;
    };
  }
  return undefined;
}
