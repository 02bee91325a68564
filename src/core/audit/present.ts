/**
 * How an audit entry reads, for people (a timeline line plus, for maps, a diff of their inner
 * keys) and for scripts (plain JSON with exact numbers). No colours here: the CLI adds them.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { diffMaps, formatValue, type PlainValue, plainValue } from "./attribute-values";
import { type AuditEntry, type ChangeKind, changeKind } from "./entries";

export interface TimelineLine {
  time: string;
  kind: ChangeKind;
  /** The attribute, or `(item)` for a whole-item entry. */
  attribute: string;
  /** `old → new` for scalar values; empty when `details` says it all. */
  summary: string;
  /** For maps: `+ path: value`, `- path: value`, `~ path: old → new`. */
  details: string[];
}

const isMap = (v: AttributeValue | undefined) => v?.M !== undefined;

/** One timeline line: maps (the whole item included) become an inner-key diff. */
export function describeEntry(entry: AuditEntry): TimelineLine {
  const { oldValue, newValue } = entry;
  const line = {
    time: entry.modificationTime,
    kind: changeKind(entry),
    attribute: entry.updatedAttribute ?? "(item)",
  };
  const mapsOnly = (isMap(oldValue) || oldValue === undefined) && (isMap(newValue) || newValue === undefined);
  if (mapsOnly) {
    const details = diffMaps(oldValue?.M, newValue?.M).map((d) =>
      d.op === "~"
        ? `~ ${d.path}: ${formatValue(d.oldValue)} → ${formatValue(d.newValue)}`
        : `${d.op} ${d.path}: ${formatValue(d.newValue ?? d.oldValue)}`,
    );
    return { ...line, summary: details.length ? "" : `${formatValue(oldValue)} → ${formatValue(newValue)}`, details };
  }
  return { ...line, summary: `${formatValue(oldValue)} → ${formatValue(newValue)}`, details: [] };
}

/** The entry as the contract writes it, in plain JSON (3600 stays a number, maps stay objects). */
export function plainEntry(entry: AuditEntry): Record<string, PlainValue> {
  const out: Record<string, PlainValue> = {
    id: entry.id,
    itemKey: entry.itemKey,
    modificationTime: entry.modificationTime,
  };
  if (entry.updatedAttribute !== undefined) out.updatedAttribute = entry.updatedAttribute;
  if (entry.oldValue !== undefined) out.oldValue = plainValue(entry.oldValue);
  if (entry.newValue !== undefined) out.newValue = plainValue(entry.newValue);
  return out;
}
