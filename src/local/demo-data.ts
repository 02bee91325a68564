/**
 * A realistic day of restaurant traceability records and a few configuration changes, for the
 * local demo. Deterministic for a given day (a seeded generator), so re-runs write the same ids.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

const products = [
  { producto: "Merluza de pincho", proveedor: "Pescados Cantábrico S.L.", unidad: "kg", alergenos: ["pescado"] },
  { producto: "Solomillo de ternera", proveedor: "Carnes Guadarrama", unidad: "kg", alergenos: [] },
  { producto: "Huevos camperos", proveedor: "Granja La Encina", unidad: "docena", alergenos: ["huevo"] },
  { producto: "Leche fresca entera", proveedor: "Lácteos del Norte", unidad: "l", alergenos: ["leche"] },
  { producto: "Harina de trigo", proveedor: "Molinos Castilla", unidad: "kg", alergenos: ["gluten"] },
  { producto: "Gambas rojas", proveedor: "Mariscos Huelva", unidad: "kg", alergenos: ["crustáceos"] },
  { producto: "Tomate de temporada", proveedor: "Huerta de Aranjuez", unidad: "kg", alergenos: [] },
  { producto: "Nata para cocinar", proveedor: "Lácteos del Norte", unidad: "l", alergenos: ["leche"] },
] as const;
const states = ["RECIBIDO", "EN_CAMARA", "EN_PREPARACION", "COCINADO", "SERVIDO"] as const;
const staff = ["Lucía Fernández", "Jorge Ibáñez", "Marta Núñez", "Ahmed Benali"] as const;

/** Mulberry32: a tiny seeded generator, so a day's data is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The UTC offset of `zone` at `instant`, as "+01:00". */
function offsetAt(zone: string, instant: Date): string {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(instant)
    .find((p) => p.type === "timeZoneName")?.value;
  const match = /GMT([+-]\d{2}):?(\d{2})?/.exec(name ?? "");
  return match ? `${match[1]}:${match[2] ?? "00"}` : "+00:00";
}

export interface DemoRecordOptions {
  /** The business day, YYYY-MM-DD. */
  day: string;
  timeZone: string;
  count: number;
  retentionDays: number;
  now?: Date;
}

/** `count` traceability records spread over the business day (06:00–23:00 local time). */
export function demoTraceabilityRecords(options: DemoRecordOptions): Record<string, AttributeValue>[] {
  const random = seeded(Number(options.day.replaceAll("-", "")));
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const expiresAt = Math.floor((options.now ?? new Date()).getTime() / 1000) + options.retentionDays * 86_400;
  const records: Record<string, AttributeValue>[] = [];
  for (let i = 0; i < options.count; i++) {
    const minutes = 6 * 60 + Math.floor(((17 * 60) / options.count) * i + random() * 5);
    const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
    const mm = String(minutes % 60).padStart(2, "0");
    // The offset is the zone's on that day; noon is far from any DST switch.
    const offset = offsetAt(options.timeZone, new Date(`${options.day}T12:00:00Z`));
    const product = pick(products);
    const item: Record<string, AttributeValue> = {
      id: { S: `TRZ-${options.day}-${String(i + 1).padStart(4, "0")}` },
      fecha: { S: `${options.day}T${hh}:${mm}:00${offset}` },
      // The day attribute of the export's day index: the business day of fecha (here, the day itself).
      dia: { S: options.day },
      estado: { S: pick(states) },
      producto: { S: product.producto },
      proveedor: { S: product.proveedor },
      lote: { S: `L${options.day.slice(2).replaceAll("-", "")}-${Math.floor(random() * 900 + 100)}` },
      cantidad: { N: (Math.round(random() * 200) / 10 + 0.5).toFixed(1) },
      unidad: { S: product.unidad },
      temperaturaC: { N: (Math.round((random() * 8 - 1) * 10) / 10).toString() },
      responsable: { S: pick(staff) },
      expiresAt: { N: String(expiresAt) },
    };
    if (product.alergenos.length > 0) item.alergenos = { SS: [...product.alergenos] };
    if (random() < 0.15) item.notas = { S: 'Recepción con incidencia: caja dañada, "revisar" etiquetado' };
    records.push(item);
  }
  return records;
}

/** One configuration change of the demo, applied in order. */
export type ConfigurationChange = { kind: "put"; item: Record<string, AttributeValue> } | { kind: "delete"; key: string };

/** Saves, updates, a no-op write and a deletion: every kind of audit entry. */
export function demoConfigurationChanges(): ConfigurationChange[] {
  return [
    { kind: "put", item: { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } } },
    { kind: "put", item: { key: { S: "CACHE_TTL_SEC" }, value: { N: "1800" } } },
    {
      kind: "put",
      item: {
        key: { S: "MENU_DEL_DIA" },
        value: { M: { entrante: { S: "Salmorejo" }, principal: { S: "Merluza a la plancha" }, precio: { N: "14.5" } } },
      },
    },
    {
      kind: "put",
      item: {
        key: { S: "MENU_DEL_DIA" },
        value: { M: { entrante: { S: "Salmorejo" }, principal: { S: "Solomillo al whisky" }, precio: { N: "16" } } },
        vigente: { BOOL: true },
      },
    },
    { kind: "put", item: { key: { S: "CACHE_TTL_SEC" }, value: { N: "1800" } } },
    { kind: "put", item: { key: { S: "TEMPORARY_BANNER" }, value: { S: "Cerrado por inventario el lunes" } } },
    { kind: "delete", key: "TEMPORARY_BANNER" },
  ];
}
