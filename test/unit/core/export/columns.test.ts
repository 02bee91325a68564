import { describe, expect, it } from "vitest";
import { compareColumns, headerColumns, RowAssembler, RowShaper } from "../../../../src/core/export/columns";

describe("columns", () => {
  it("id, fecha, estado first, then the rest sorted, always with the leading three", () => {
    expect(["z", "estado", "b", "id", "A", "fecha"].sort(compareColumns)).toEqual(["id", "fecha", "estado", "A", "b", "z"]);
    expect(headerColumns(["x", "id"])).toEqual(["id", "fecha", "estado", "x"]);
    expect(headerColumns([])).toEqual(["id", "fecha", "estado"]);
  });

  it("never has the stamper's own attributes (dia, expiresAt), so stamping never changes a day's bytes", () => {
    expect(headerColumns(["x", "dia", "expiresAt", "expires"])).toEqual(["id", "fecha", "estado", "expires", "x"]);
  });

  it("shapes records into cells in export order, one signature per attribute set", () => {
    const shaper = new RowShaper();
    const a = shaper.shape({ z: { S: "z" }, id: { S: "1" }, fecha: { S: "2026-11-22" } });
    const b = shaper.shape({ fecha: { S: "2026-11-22" }, id: { S: "2" }, z: { S: "a,b" } });
    expect(a.signature).toBe(b.signature);
    expect(a.signature.names).toEqual(["id", "fecha", "z"]);
    expect(b.cells).toEqual(["2", "2026-11-22", '"a,b"']);
    expect(shaper.signatures).toHaveLength(1);
  });

  it("assembles rows under the day's header, empty where an attribute is missing", () => {
    const shaper = new RowShaper();
    const rows = [
      shaper.shape({ id: { S: "1" }, fecha: { S: "f" }, estado: { S: "e" }, a: { S: "A" }, c: { S: "C" } }),
      shaper.shape({ id: { S: "2" }, c: { S: "C" } }),
      shaper.shape({ id: { S: "3" }, fecha: { S: "f" }, b: { N: "1" } }),
    ];
    const header = headerColumns(shaper.signatures.flatMap((s) => s.names));
    expect(header).toEqual(["id", "fecha", "estado", "a", "b", "c"]);
    const assembler = new RowAssembler(header, shaper.signatures);
    expect(assembler.header).toBe("id,fecha,estado,a,b,c\r\n");
    expect(rows.map((r) => assembler.line(r.signature.id, r.cells))).toEqual(["1,f,e,A,,C\r\n", "2,,,,,C\r\n", "3,f,,,1,\r\n"]);
    const full = new RowAssembler(["id", "fecha", "estado", "a", "c"], shaper.signatures);
    expect(full.line(rows[0]?.signature.id ?? -1, rows[0]?.cells ?? [])).toBe("1,f,e,A,C\r\n");
  });

  it("quotes header names that need it", () => {
    expect(new RowAssembler(["id", "a,b"], []).header).toBe('id,"a,b"\r\n');
  });
});
