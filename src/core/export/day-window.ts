/**
 * Calendar days in the business time zone: validating `YYYY-MM-DD`, stepping days, and the
 * UTC window [start, end) of a day in a zone (DST-aware, via Intl; no time-zone library).
 */
import { usageError } from "../errors";

/** A calendar day, always `YYYY-MM-DD`. */
export type Day = string;

export interface DayWindow {
  day: Day;
  /** First instant of the day in the zone (epoch ms, inclusive). */
  start: number;
  /** First instant of the next day in the zone (epoch ms, exclusive). */
  end: number;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The day's parts when `text` is a real calendar date `YYYY-MM-DD`, else undefined (2026-02-30 is not). */
export function dayParts(text: string): [number, number, number] | undefined {
  const m = DAY.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  return [y, mo, d];
}

/** Validates an operator-given day; throws a usage error naming the value and the expected form. */
export function parseDay(text: string, flag = "--date"): Day {
  if (!dayParts(text)) {
    throw usageError(
      `${flag} ${JSON.stringify(text)} is not a valid date`,
      "give a real calendar day as YYYY-MM-DD, e.g. 2026-11-22 (months 01-12, days that exist in that month)",
    );
  }
  return text;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The day `n` days after `day` (negative goes back). */
export function addDays(day: Day, n: number): Day {
  const [y, m, d] = dayParts(day) ?? [Number.NaN, 0, 0];
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from: Day, to: Day): Day[] {
  const days: Day[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

function wallClock(instant: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(instant))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { y: parts.year ?? 0, mo: parts.month ?? 0, d: parts.day ?? 0, h: parts.hour ?? 0, mi: parts.minute ?? 0, s: parts.second ?? 0 };
}

/** The calendar day on which `instant` falls in `zone`. */
export function dayInZone(instant: number, zone: string): Day {
  const w = wallClock(instant, zone);
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}`;
}

/** Offset of `zone` from UTC at `instant`, in ms (Bogota -5h, Madrid +1h/+2h). */
function offsetAt(instant: number, zone: string): number {
  const w = wallClock(instant, zone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** First instant whose calendar day in `zone` is `day` (midnight, or later when DST skips midnight). */
function startOfDay(day: Day, zone: string): number {
  const [y, m, d] = dayParts(day) ?? [Number.NaN, 0, 0];
  const midnightUtc = Date.UTC(y, m - 1, d);
  // Fixed point of "local midnight minus the offset in force then"; two rounds settle DST edges.
  let guess = midnightUtc - offsetAt(midnightUtc, zone);
  guess = midnightUtc - offsetAt(guess, zone);
  // Where midnight does not exist (DST at 00:00) the guess lands on the previous day: step to the
  // first instant of `day` hour by hour, then minute by minute.
  if (dayInZone(guess, zone) < day) {
    while (dayInZone(guess + 3_600_000, zone) < day) guess += 3_600_000;
    while (dayInZone(guess, zone) < day) guess += 60_000;
  }
  return guess;
}

/** The UTC window [start, end) of `day` in `zone`. */
export function dayWindow(day: Day, zone: string): DayWindow {
  return { day, start: startOfDay(day, zone), end: startOfDay(addDays(day, 1), zone) };
}

/** Today in `zone` at instant `now`. */
export function today(zone: string, now: number = Date.now()): Day {
  return dayInZone(now, zone);
}

/**
 * The instant of `hour`:00 (plus `minutes`) on `day`, wall-clock time in `zone`: when the export
 * schedule fires that day (EventBridge Scheduler follows the zone's DST like this). An hour that
 * a DST change skips maps to the instant an hour later, as the schedule does.
 */
export function wallTimeInstant(day: Day, hour: number, zone: string, minutes = 0): number {
  const start = startOfDay(day, zone);
  const naive = start + (hour * 60 + minutes) * 60_000;
  // Correct by the offset change between midnight and the wall time (DST days).
  return naive + (offsetAt(start, zone) - offsetAt(naive, zone));
}
