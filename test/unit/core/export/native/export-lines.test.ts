import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { dayWindow } from "../../../../../src/core/export/day-window";
import { latestItems, readDataFile } from "../../../../../src/core/export/native/export-lines";
import { collectColumns, csvHeader, csvPart, itemsOfDay } from "../../../../../src/core/export/native/format-items";

const fixture = (name: string) => gzipSync(readFileSync(join(__dirname, "../../../../fixtures/dynamodb-export", name)));

describe("DynamoDB export data files (documented format)", () => {
  it("reads a full export's Item lines into the scan path's CSV", () => {
    const items = latestItems(readDataFile(fixture("full-export.jsonl"), ["id"]));
    const day = itemsOfDay(items, dayWindow("2026-11-22", "America/Bogota"));
    const columns = collectColumns([day]);
    expect(columns).toEqual(["id", "fecha", "estado", "monto", "nota"]);
    expect(csvHeader(columns) + csvPart(day, columns)).toBe(
      "id,fecha,estado,monto,nota\r\n" +
        "a-1,2026-11-22T10:00:00-05:00,OK,12.5,\r\n" +
        'a-2,2026-11-22T11:00:00-05:00,OK,,"dice ""hola"", bien"\r\n',
    );
  });

  it("keeps the latest NewImage per key from an incremental export and drops deleted items", () => {
    const lines = readDataFile(fixture("incremental-export.jsonl"), ["id"]);
    expect(lines.map((l) => [l.key, l.writeTimeMicros, l.item !== undefined])).toEqual([
      ['[{"S":"a-1"}]', 1763827200000000, true],
      ['[{"S":"a-2"}]', 1763830800000000, true],
      ['[{"S":"a-1"}]', 1763834400000000, true],
      ['[{"S":"a-3"}]', 1763838000000000, false],
    ]);
    const items = latestItems(lines);
    expect(items.map((i) => [i.id?.S, i.estado?.S])).toEqual([
      ["a-1", "OK"],
      ["a-2", "OK"],
    ]);
    expect(items[0]?.monto).toEqual({ N: "3" });
  });

  it("routes by fecha: a record of another day written inside the window is left out", () => {
    const items = latestItems(readDataFile(fixture("full-export.jsonl"), ["id"]));
    expect(itemsOfDay(items, dayWindow("2026-11-23", "America/Bogota"))).toEqual([]);
  });

  it("rejects a line that is neither a full nor an incremental record", () => {
    expect(() => readDataFile(gzipSync('{"Foo":1}\n'), ["id"])).toThrow(/neither Item nor Keys/);
  });
});
