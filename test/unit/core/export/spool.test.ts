import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSpool, SpoolWriter } from "../../../../src/core/export/spool";

describe("spool", () => {
  it("round-trips cells with line breaks, tabs, quotes, U+2028 and emoji", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "spool-test-")), "0.spool");
    const writer = new SpoolWriter(path);
    const rows = [
      { signatureId: 0, cells: ['"a\r\nb"', "tab\there", "\u2028sep\u2029", "🍲"] },
      { signatureId: 7, cells: [""] },
      { signatureId: 1, cells: [] },
    ];
    for (const row of rows) writer.write(row.signatureId, row.cells);
    await writer.close();
    const back = [];
    for await (const row of readSpool(path)) back.push(row);
    expect(back).toEqual(rows);
    expect(writer.rows).toBe(3);
  });
});
