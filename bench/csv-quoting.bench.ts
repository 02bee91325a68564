// csv-stringify against the export's own CSV formatter, for the quoting on the shipped path
// (issue 24: the product brief names csv-stringify; adopt it if it costs under 10%).
// Both sides turn the same records into the same bytes (checked first): ours is csvCell per
// attribute (quoting in the same pass; JSON written with its quotes already doubled) joined with
// commas and CRLF, as RowAssembler does; csv-stringify gets the unquoted cell text (the contract's
// text form, JSON with plain quotes) and quotes it, one record per call as the export writes rows
// (`per row`) and in batches of 1,000 (`batched`, its best case). Medians of RUNS runs, side by side.
import { createHash } from "node:crypto";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { stringify } from "csv-stringify/sync";
import { normalizeDynamoNumber } from "../src/core/dynamo-number";
import { csvCell, toJson } from "../src/core/export/cells";
import { COLUMNS, type Item, makeItem } from "./export-data";
import { measure, median, printRow } from "./support";

const ROWS = Number(process.env.BENCH_CSV_ROWS ?? 200_000);
const RUNS = 7;
const items: Item[] = Array.from({ length: ROWS }, (_, i) => makeItem(i));

/** The cell's text before CSV quoting: the export contract's form of each type. */
function plainCell(value: AttributeValue | undefined): string {
  if (!value) return "";
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return normalizeDynamoNumber(value.N);
  if (value.BOOL !== undefined) return value.BOOL ? "true" : "false";
  if (value.NULL !== undefined) return "";
  if (value.B !== undefined) return Buffer.from(value.B).toString("base64");
  return toJson(value);
}

type Emit = (text: string) => void;

const ours = (emit: Emit) => {
  for (const item of items) emit(`${COLUMNS.map((c) => (item[c] ? csvCell(item[c] as AttributeValue) : "")).join(",")}\r\n`);
};
const options = { record_delimiter: "\r\n", eof: true } as const;
const perRow = (emit: Emit) => {
  for (const item of items) emit(stringify([COLUMNS.map((c) => plainCell(item[c]))], options));
};
const batched = (emit: Emit) => {
  for (let i = 0; i < items.length; i += 1000) {
    emit(
      stringify(
        items.slice(i, i + 1000).map((item) => COLUMNS.map((c) => plainCell(item[c]))),
        options,
      ),
    );
  }
};

/** The sha256 and length of everything a formatter writes. */
function digest(run: (emit: Emit) => void): { sha256: string; chars: number } {
  const hash = createHash("sha256");
  let chars = 0;
  run((text) => {
    hash.update(text);
    chars += text.length;
  });
  return { sha256: hash.digest("hex"), chars };
}

// Same bytes first (the whole output's sha256): a faster formatter that writes another CSV is no alternative.
const reference = digest(ours);
for (const [name, run] of [
  ["per row", perRow],
  ["batched", batched],
] as const) {
  const got = digest(run);
  if (got.sha256 !== reference.sha256) {
    console.log(`csv-stringify (${name}) writes different bytes: sha256 ${got.sha256} vs ${reference.sha256}`);
    process.exit(1);
  }
}
// Timed: the text is made and its length taken (what a write would need), nothing else.
let sink = 0;
const timed = (run: (emit: Emit) => void) => () =>
  run((text) => {
    sink += text.length;
  });
console.log(
  `\n${ROWS.toLocaleString("en-US")} records (bench/export-data.ts makeItem), ${reference.chars.toLocaleString("en-US")} chars of CSV, the same sha256 on every side; medians of ${RUNS} interleaved rounds`,
);
// Interleaved (ours, then each alternative, RUNS rounds): the machine is shared, so each ratio is
// taken within one round and the median of the rounds' ratios is reported.
const sides = [
  ["ours (csvCell + join)", ours],
  ["csv-stringify, one call per row", perRow],
  ["csv-stringify, 1,000 rows per call", batched],
] as const;
const times: number[][] = sides.map(() => []);
for (const [, run] of sides) await measure(timed(run), 0, 1); // warm-up
for (let round = 0; round < RUNS; round++) {
  for (const [i, [, run]] of sides.entries()) times[i]?.push(...(await measure(timed(run), 1, 0)));
}
const base = times[0] as number[];
for (const [i, [name]] of sides.entries()) {
  const own = times[i] as number[];
  const ms = median(own);
  const ratio = median(own.map((t, r) => t / (base[r] as number)));
  printRow(name, { ms: ms.toFixed(0), "µs/row": ((ms * 1000) / ROWS).toFixed(2), "× ours": ratio.toFixed(2) });
}
if (sink === 0) console.log("nothing was written");
