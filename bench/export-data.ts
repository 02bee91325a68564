// The export benchmark's records and how they get into moto.
import { type AttributeValue, BatchWriteItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";

export type Item = Record<string, AttributeValue>;

export const DAY = "2026-11-22";
const DAY_START = Date.parse(`${DAY}T00:00:00Z`);

/**
 * A record with ~10 attributes of mixed types, some needing quotes, some 38-digit numbers.
 * `fecha` is on DAY (UTC) for `dayOffset` 0, else that many days earlier; an ISO string, or epoch
 * seconds as a number (the form the Scan filter can act on).
 */
export function makeItem(i: number, dayOffset = 0, fecha: "iso" | "epoch" = "iso"): Item {
  const instant = DAY_START - dayOffset * 86_400_000 + ((i * 7_919) % 86_400) * 1000;
  const item: Item = {
    id: { S: `rec-${i.toString(36)}-${(i * 7919) % 100_003}` },
    fecha: fecha === "iso" ? { S: new Date(instant).toISOString() } : { N: String(instant / 1000) },
    estado: { S: ["ok", "pendiente", "error", "enviado"][i % 4] as string },
    cliente: { S: i % 5 === 0 ? `Núñez, María "Mari" ${i}` : `Cliente ${i} Ltda` },
    importe: { N: i % 10 === 0 ? "12345678901234567890123456789012345678" : `${(i * 37) % 100000}.${i % 100}` },
    cantidad: { N: String(i % 977) },
    activo: { BOOL: i % 3 === 0 },
    tags: { SS: ["b", `t${i % 7}`, "a"] },
    detalle: { M: { lote: { N: String(i) }, origen: { S: "planta-2" }, pasos: { L: [{ S: "rx" }, { N: "0.000001" }, { BOOL: true }] } } },
    nota: { S: i % 11 === 0 ? "línea 1\nlínea 2, con coma" : "sin novedad" },
  };
  if (i % 9 === 0) item.extra = { NULL: true };
  return item;
}

/** Every attribute name makeItem uses, in the export's header order (for the naive baseline). */
export const COLUMNS = ["id", "fecha", "estado", "activo", "cantidad", "cliente", "detalle", "extra", "importe", "nota", "tags"];

/**
 * Loads `count` records with BatchWriteItem, `concurrency` batches of 25 in flight (moto is one
 * Python process: more than a few in flight only queue). Returns items per second.
 */
export async function load(
  dynamodb: DynamoDBClient,
  table: string,
  count: number,
  make: (i: number) => Item,
  concurrency = 8,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  const writer = async () => {
    for (let first = next; first < count; first = next) {
      next += 25;
      let request: Record<string, { PutRequest: { Item: Item } }[]> | undefined = {
        [table]: Array.from({ length: Math.min(25, count - first) }, (_, i) => ({ PutRequest: { Item: make(first + i) } })),
      };
      while (request && Object.keys(request).length) {
        const out = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: request }));
        request = out.UnprocessedItems as typeof request;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  return count / ((performance.now() - start) / 1000);
}
