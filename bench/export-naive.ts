// The baseline the export must beat: what one would write first. One Scan loop with a default
// client, each page unmarshalled, the day's records picked with Date.parse, objects as JSON, and
// csv-stringify into a file. It is handed the columns up front (it could not know them otherwise
// without holding the day), so it streams; no spool, no hash, no exact-number care.
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { stringify } from "csv-stringify/sync";
import { COLUMNS, DAY } from "./export-data";

const jsonReplacer = (_k: string, v: unknown) =>
  v instanceof Set ? [...v].sort() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : typeof v === "bigint" ? v.toString() : v;

const cell = (v: unknown): string =>
  v === null || v === undefined
    ? ""
    : typeof v === "object" && !("value" in (v as object))
      ? JSON.stringify(v, jsonReplacer)
      : String((v as { value?: string }).value ?? v);

/** Exports DAY (UTC) of `table` to `out`; prints `{rows, scanned}`. */
export async function naiveExport(endpoint: string, table: string, out: string): Promise<void> {
  const dynamodb = new DynamoDBClient({ region: "us-east-1", endpoint });
  const from = Date.parse(`${DAY}T00:00:00Z`);
  const to = from + 86_400_000;
  const file = createWriteStream(out);
  let startKey: Record<string, never> | undefined;
  let header = true;
  let rows = 0;
  let scanned = 0;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    scanned += page.ScannedCount ?? 0;
    const records: Record<string, string>[] = [];
    for (const item of page.Items ?? []) {
      const plain = unmarshall(item, { wrapNumbers: true }) as Record<string, unknown>;
      const t = typeof plain.fecha === "string" ? Date.parse(plain.fecha) : Number(cell(plain.fecha)) * 1000;
      if (!(t >= from && t < to)) continue;
      const record: Record<string, string> = {};
      for (const [k, v] of Object.entries(plain)) record[k] = cell(v);
      records.push(record);
    }
    rows += records.length;
    if (!file.write(stringify(records, { header, columns: COLUMNS, record_delimiter: "windows" }))) await once(file, "drain");
    header = false;
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  file.end();
  await once(file, "close");
  dynamodb.destroy();
  console.log(JSON.stringify({ rows, scanned }));
}
