import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { differingRows, recordsById } from "../../../../src/core/drill/day";

describe("reading an export CSV back by id", () => {
  it("splits records on CRLF outside quotes only, and reads a quoted id", () => {
    const csv = 'id,fecha,estado\r\nA-1,2026-11-24,"two\r\nlines"\r\n"B,""2""",2026-11-24,ok\r\nC,,\r\n';
    const records = recordsById(csv);
    expect([...records.keys()]).toEqual(["A-1", 'B,"2"', "C"]);
    expect(records.get("A-1")).toBe('A-1,2026-11-24,"two\r\nlines"');
  });

  const dir = mkdtemp(join(tmpdir(), "drill-day-"));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it("names the ids whose rows differ, in one copy only or changed, not the rows that only moved", async () => {
    const a = join(await dir, "a.csv");
    const b = join(await dir, "b.csv");
    await writeFile(a, "id,estado\r\nA,ok\r\nB,ok\r\nC,ok\r\n");
    await writeFile(b, "id,estado\r\nC,ok\r\nB,MAL\r\nD,ok\r\n");
    expect(await differingRows({ sha256: "1", rows: 3, path: a }, { sha256: "2", rows: 3, path: b })).toEqual(["A", "B", "D"]);
  });
});
