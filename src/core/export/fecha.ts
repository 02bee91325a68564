/**
 * Reading a record's `fecha`: an ISO-8601 date-time with offset or Z, a plain `YYYY-MM-DD`, or
 * epoch seconds / milliseconds (a number, or a string of digits). Anything else is unreadable,
 * and unreadable records are counted and reported, never dropped silently.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { type Day, type DayWindow, dayParts } from "./day-window";

export type Fecha = { kind: "instant"; instant: number } | { kind: "date"; day: Day };

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
const EPOCH = /^-?\d+(?:\.\d+)?$/;
/** Any decimal text DynamoDB accepts as a number (moto returns numbers as sent: "1.7E9", "+5", ".5"). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Below this an epoch value is seconds (1e11 s is the year 5138), at or above it milliseconds. */
export const EPOCH_MS_THRESHOLD = 1e11;
/** The largest instant a JavaScript Date holds, in ms; an epoch beyond it is unreadable. */
export const MAX_EPOCH_MS = 8.64e15;

function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const date = dayParts(`${m[1]}-${m[2]}-${m[3]}`);
  if (!date) return undefined;
  const [h, mi, s] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  let offset = 0;
  if (!m[8]) {
    const [oh, om] = [Number(m[10]), Number(m[11] ?? 0)];
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return Date.UTC(date[0], date[1] - 1, date[2], h, mi, s, ms) - offset;
}

function parseEpoch(text: string, form = EPOCH): number | undefined {
  if (!form.test(text)) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const ms = Math.abs(value) >= EPOCH_MS_THRESHOLD ? value : value * 1000;
  // Outside the range of a JavaScript Date the value is not a usable instant.
  return Math.abs(ms) <= MAX_EPOCH_MS ? Math.floor(ms) : undefined;
}

/** Reads `fecha` from its DynamoDB value; undefined when missing or unreadable. */
export function parseFecha(value: AttributeValue | undefined): Fecha | undefined {
  if (!value) return undefined;
  if (value.N !== undefined) {
    // Any number is an epoch, whatever its notation: the Scan filter (fecha-filter.ts) relies on it.
    const instant = parseEpoch(value.N, NUMBER);
    return instant === undefined ? undefined : { kind: "instant", instant };
  }
  if (value.S === undefined) return undefined;
  const text = value.S;
  if (text.length === 10 && dayParts(text)) return { kind: "date", day: text };
  const instant = parseDateTime(text) ?? parseEpoch(text);
  return instant === undefined ? undefined : { kind: "instant", instant };
}

/**
 * Index of the window the fecha falls in (a plain date belongs to that calendar day as written;
 * an instant belongs to the day it falls on in the business zone), or -1 when none.
 */
export function windowIndexOf(fecha: Fecha, windows: readonly DayWindow[]): number {
  if (fecha.kind === "date") return windows.findIndex((w) => w.day === fecha.day);
  const t = fecha.instant;
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i] as DayWindow;
    if (t >= w.start && t < w.end) return i;
  }
  return -1;
}
