/** The business day of a `fecha`: what writers put in `dia`, and what the export checks it against. */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { type Day, dayInZone } from "./day-window";
import { parseFecha } from "./fecha";

/**
 * The day `fecha` falls on in `timeZone` (`YYYY-MM-DD`; a plain date is its own day), or
 * undefined when fecha is missing or unreadable. Writers set `dia` to this.
 */
export function dayOfFecha(fecha: AttributeValue | undefined, timeZone: string): Day | undefined {
  const parsed = parseFecha(fecha);
  if (!parsed) return undefined;
  return parsed.kind === "date" ? parsed.day : dayInZone(parsed.instant, timeZone);
}
