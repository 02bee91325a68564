/**
 * `--since` / `--until`, one meaning for every command that takes them (`audit show`, `archive
 * list`, `archive restore`): `since` is inclusive, `until` exclusive; a date (`YYYY-MM-DD`) is
 * 00:00 UTC of that day; a date-time is ISO-8601 with `Z` or an offset, none meaning UTC. So
 * `--since 2026-11-20 --until 2026-11-21` is exactly the UTC day of the 20th.
 */
import { usageError } from "./errors";

export interface TimeWindow {
  since?: Date | undefined;
  until?: Date | undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** One bound; undefined when not given. Throws a usage error naming the flag and the value. */
export function parseTimeBound(text: string | undefined, flag: "--since" | "--until"): Date | undefined {
  if (text === undefined) return undefined;
  const bad = () =>
    usageError(
      `${flag} ${JSON.stringify(text)} is not a date or date-time`,
      `use YYYY-MM-DD (00:00 UTC) or an ISO-8601 date-time, e.g. ${flag} 2026-11-22 or ${flag} 2026-11-22T18:30:00Z (no offset means UTC)`,
    );
  const trimmed = text.trim();
  const date = DATE.exec(trimmed);
  if (date) {
    const [, y, m, d] = date;
    const start = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    // Date.UTC rolls 2026-02-30 over into March: refuse rather than guess.
    if (start.getUTCMonth() !== Number(m) - 1 || start.getUTCDate() !== Number(d)) throw bad();
    return start;
  }
  if (!DATE_TIME.test(trimmed)) throw bad();
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed);
  const parsed = new Date(hasZone ? trimmed : `${trimmed}Z`);
  if (Number.isNaN(parsed.getTime())) throw bad();
  return parsed;
}

/** Both bounds, checked to leave a window: `since` must be before `until`. */
export function parseTimeWindow(options: { since?: string | undefined; until?: string | undefined }): TimeWindow {
  const since = parseTimeBound(options.since, "--since");
  const until = parseTimeBound(options.until, "--until");
  if (since && until && since >= until) {
    throw usageError(
      `--since ${since.toISOString()} is not before --until ${until.toISOString()} (until is exclusive)`,
      "swap them, or widen the window",
    );
  }
  return { since, until };
}

/**
 * The window as inclusive ISO-8601 text, for stores that compare such text (the Audit table's
 * `modificationTime`, written by `toISOString`, to the millisecond): the exclusive `until` becomes
 * its previous millisecond.
 */
export function isoWindow(window: TimeWindow): { since?: string | undefined; until?: string | undefined } {
  return { since: window.since?.toISOString(), until: window.until ? new Date(window.until.getTime() - 1).toISOString() : undefined };
}
