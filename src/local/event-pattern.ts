/**
 * EventBridge event-pattern matching for the forms the templates use (exact values, nested
 * objects): a Pipe's FilterCriteria on a stream record and the bus rule's EventPattern on the
 * envelope. Any other form (prefix, numeric, exists, anything-but…) is refused, not guessed.
 */
import { ErrorCode, TraceError } from "../core/errors";

type Pattern = { [field: string]: Pattern | readonly unknown[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * True when `event` matches `pattern`: every field of the pattern is present in the event, leaf
 * arrays list the allowed values (an array value in the event matches when any element does),
 * and nested objects match recursively. Throws a config error for operators it does not know.
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new TraceError(ErrorCode.config, `not an event pattern: ${JSON.stringify(pattern)}`);
  if (!isObject(event)) return false;
  return Object.entries(pattern as Pattern).every(([field, expected]) => {
    const actual = event[field];
    if (Array.isArray(expected)) {
      for (const value of expected) {
        if (typeof value === "object" && value !== null) {
          throw new TraceError(ErrorCode.config, `event pattern operator ${JSON.stringify(value)} on "${field}" is not supported locally`, {
            hint: "local mode matches exact values only; keep the templates' patterns to exact values or extend src/local/event-pattern.ts",
          });
        }
      }
      const values = Array.isArray(actual) ? actual : [actual];
      return actual !== undefined && values.some((v) => expected.includes(v));
    }
    return matchesEventPattern(expected, actual);
  });
}

/** A Pipe's filters: no filter passes everything; otherwise any one filter must match. */
export function passesFilters(patterns: readonly unknown[], record: unknown): boolean {
  return patterns.length === 0 || patterns.some((p) => matchesEventPattern(p, record));
}
