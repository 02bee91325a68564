import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareKeys, ID_RANK, type RowKey } from "../../../../src/core/export/row-order";
import { cellsPayload, FAN_IN, parseCellsPayload, type SpooledRow, SpoolWriter } from "../../../../src/core/export/spool";

const key = (t: number, id: string): RowKey => ({ t, rank: ID_RANK.S, id });

async function readAll(writer: SpoolWriter): Promise<SpooledRow[]> {
  const back: SpooledRow[] = [];
  for await (const row of writer.sorted()) back.push(row);
  return back;
}

/** A deterministic shuffle (no Math.random: a failure must replay). */
function shuffled<T>(list: readonly T[], seed = 7): T[] {
  const out = [...list];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("spool", () => {
  it("round-trips cells with line breaks, tabs, quotes, U+2028 and emoji, and ids that need escapes", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "spool-test-")), "0.spool");
    const writer = new SpoolWriter(path);
    const rows = [
      { key: key(1, 'id\t"x"\n'), signatureId: 0, cells: ['"a\r\nb"', "tab\there", "\u2028sep\u2029", "🍲"] },
      { key: key(2, "🍲"), signatureId: 7, cells: [""] },
      { key: { t: -5, rank: ID_RANK.N, id: "-1.5" }, signatureId: 1, cells: [] },
    ];
    for (const row of rows) writer.write(row.key, cellsPayload(row.signatureId, row.cells));
    await writer.close();
    const back = (await readAll(writer)).map((r) => ({ key: r.key, ...parseCellsPayload(r.payload) }));
    expect(back).toEqual([rows[2], rows[0], rows[1]]);
    expect(writer.rows).toBe(3);
  });

  it("gives the rows in key order whatever order they were written in, over many runs", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "spool-test-")), "0.spool");
    // About 40 rows a run: 5,000 rows make ~125 runs, more than FAN_IN, so groups are merged first.
    const writer = new SpoolWriter(path, 40 * 30);
    const keys = Array.from({ length: 5_000 }, (_, i) => key(Math.floor(i / 3), `id-${String(i).padStart(5, "0")}`));
    for (const k of shuffled(keys)) {
      if (!writer.write(k, `p${k.id}`)) await writer.drained();
    }
    await writer.close();
    expect(writer.runs.length).toBeGreaterThan(FAN_IN);
    const back = await readAll(writer);
    expect(back.map((r) => r.key)).toEqual(keys);
    expect(back.map((r) => r.payload)).toEqual(keys.map((k) => `p${k.id}`));
    // The merged groups' inputs are removed as they are merged.
    expect(readdirSync(join(path, "..")).length).toBeLessThan(writer.runs.length);
  });

  it("sorts numbers by value, not text, and types before one another", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "spool-test-")), "0.spool");
    const writer = new SpoolWriter(path, 64);
    const keys: RowKey[] = [
      { t: 0, rank: ID_RANK.missing, id: "" },
      { t: 0, rank: ID_RANK.N, id: "-10" },
      { t: 0, rank: ID_RANK.N, id: "9" },
      { t: 0, rank: ID_RANK.N, id: "10" },
      { t: 0, rank: ID_RANK.N, id: "12345678901234567890123456789012345678" },
      { t: 0, rank: ID_RANK.S, id: "Z" },
      { t: 0, rank: ID_RANK.S, id: "a" },
      { t: 0, rank: ID_RANK.B, id: "00ff" },
      { t: 0, rank: ID_RANK.B, id: "ff" },
    ];
    for (const k of shuffled(keys, 3)) writer.write(k, "x");
    await writer.close();
    expect((await readAll(writer)).map((r) => r.key)).toEqual(keys);
    for (let i = 1; i < keys.length; i++) expect(compareKeys(keys[i - 1] as RowKey, keys[i] as RowKey)).toBeLessThan(0);
  });
});
