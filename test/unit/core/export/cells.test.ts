import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { normalizeDynamoNumber } from "../../../../src/core/dynamo-number";
import { compareDecimal, csvCell, quoteCell, spreadsheetSafeText, toJson } from "../../../../src/core/export/cells";
import { RowAssembler, RowShaper } from "../../../../src/core/export/columns";

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

/**
 * The cell text (not yet quoted) for a top-level attribute value: the plain statement of the
 * contract (README, DESIGN "CSV"). `csvCell` is the fast path the export uses; the tests below
 * hold it equal to `quoteCell(cellText(v, safe), safe)` for every kind of value. With
 * `spreadsheetSafe`, text cells (strings, and binary's base64, which may begin with `+`) go
 * through `spreadsheetSafeText`.
 */
function cellText(value: AttributeValue, spreadsheetSafe = false): string {
  for (const [tag, v] of Object.entries(value)) {
    if (v === undefined) continue;
    switch (tag) {
      case "S":
        return spreadsheetSafe ? spreadsheetSafeText(v as string) : (v as string);
      case "N":
        return normalizeDynamoNumber(v as string);
      case "BOOL":
        return v ? "true" : "false";
      case "NULL":
        return "";
      case "B":
        return spreadsheetSafe ? spreadsheetSafeText(base64(v as Uint8Array)) : base64(v as Uint8Array);
      default:
        return toJson(value);
    }
  }
  return "";
}

describe("cellText", () => {
  it("scalars", () => {
    expect(cellText({ S: "ñandú 🍲" })).toBe("ñandú 🍲");
    expect(cellText({ N: "12345678901234567890123456789012345678" })).toBe("12345678901234567890123456789012345678");
    expect(cellText({ N: "-0.000000000000000000000000000000000000000001" })).toBe("-0.000000000000000000000000000000000000000001");
    expect(cellText({ N: "1E-130" })).toBe(`0.${"0".repeat(129)}1`);
    expect(cellText({ BOOL: true })).toBe("true");
    expect(cellText({ BOOL: false })).toBe("false");
    expect(cellText({ NULL: true })).toBe("");
    expect(cellText({ B: new Uint8Array([0, 1, 254, 255]) })).toBe("AAH+/w==");
  });

  it("maps and lists as compact JSON with sorted keys and exact numbers", () => {
    expect(
      cellText({
        M: {
          z: { N: "12345678901234567890123456789012345678" },
          a: { L: [{ S: 'q"\n' }, { NULL: true }, { B: new Uint8Array([1]) }] },
          m: { M: {} },
        },
      }),
    ).toBe('{"a":["q\\"\\n",null,"AQ=="],"m":{},"z":12345678901234567890123456789012345678}');
    expect(cellText({ L: [] })).toBe("[]");
    expect(cellText({ M: { 'k"\t': { S: "tab\there\u0001" }, plain: { S: "ñ 🍲" } } })).toBe(
      '{"k\\"\\t":"tab\\there\\u0001","plain":"ñ 🍲"}',
    );
  });

  it("sets sorted: strings by code unit, numbers by value (exactly), binaries by bytes", () => {
    expect(cellText({ SS: ["b", "B", "a", "á"] })).toBe('["B","a","b","á"]');
    expect(
      cellText({ NS: ["10", "9", "-1", "-10", "0.5", "12345678901234567890123456789012345678", "12345678901234567890123456789012345677"] }),
    ).toBe("[-10,-1,0.5,9,10,12345678901234567890123456789012345677,12345678901234567890123456789012345678]");
    expect(cellText({ BS: [new Uint8Array([2]), new Uint8Array([1, 255]), new Uint8Array([1])] })).toBe('["AQ==","Af8=","Ag=="]');
  });

  it("sets nested in a map keep their JSON form", () => {
    expect(toJson({ M: { s: { SS: ["y", "x"] }, n: { NS: ["2", "1"] } } })).toBe('{"n":[1,2],"s":["x","y"]}');
  });
});

describe("numbers as DynamoDB returns them (the emulator stores them as sent)", () => {
  it("at the top level, nested and in sets", () => {
    expect(cellText({ N: "-0" })).toBe("0");
    expect(csvCell({ N: "2.0" })).toBe("2");
    expect(csvCell({ N: "1e2" })).toBe("100");
    expect(cellText({ M: { a: { N: "007.50" }, b: { L: [{ N: "-0.0" }, { N: "+1E+2" }] } } })).toBe('{"a":7.5,"b":[0,100]}');
    expect(cellText({ NS: ["1.50", "5e-1", "-0"] })).toBe("[0,0.5,1.5]");
  });
});

describe("compareDecimal", () => {
  it.each([
    ["1", "2", -1],
    ["10", "9", 1],
    ["-10", "-9", -1],
    ["0.001", "0.01", -1],
    ["1E-130", "0", 1],
    ["-1E-130", "0", -1],
    ["1.50", "1.5", 0],
    ["0", "-0", 0],
    ["100", "1E+2", 0],
    ["99999999999999999999999999999999999999", "1E+38", -1],
  ])("%s vs %s", (a, b, sign) => {
    expect(Math.sign(compareDecimal(a, b))).toBe(sign);
    expect(Math.sign(compareDecimal(b, a))).toBe(-sign || 0);
  });
});

describe("RFC 4180 quoting", () => {
  it("quotes only when needed and doubles quotes", () => {
    expect(quoteCell("plain text\twith tab")).toBe("plain text\twith tab");
    expect(quoteCell("a,b")).toBe('"a,b"');
    expect(quoteCell('say "hi"')).toBe('"say ""hi"""');
    expect(quoteCell("line\nbreak")).toBe('"line\nbreak"');
    expect(quoteCell("cr\rhere")).toBe('"cr\rhere"');
    expect(quoteCell("")).toBe("");
    expect(csvCell({ M: { k: { S: "v" } } })).toBe('"{""k"":""v""}"');
  });
});

describe("csvCell, the export's fast path", () => {
  it("equals quoteCell(cellText(v)) for every kind of value", () => {
    const values: AttributeValue[] = [
      { S: "plain" },
      { S: 'a "quoted", comma\nand line' },
      { S: "tab\there ñ 🍲" },
      { S: "" },
      { S: "=1+2" },
      { S: '=HYPERLINK("http://x","y")' },
      { S: "-5" },
      { S: "@SUM(A1)" },
      { S: "\tx" },
      { S: "\rx" },
      { S: "+34 600" },
      { S: "a;=1+2" },
      { S: "'=already" },
      { B: new Uint8Array([0xfb, 0xff]) },
      { L: [{ S: "=1;2" }] },
      { N: "-5" },
      { N: "12345678901234567890123456789012345678" },
      { N: "-1E-130" },
      { N: "-0" },
      { N: "2.0" },
      { N: "1e2" },
      { M: { n: { N: "007.50" }, z: { N: "-0.0" } } },
      { L: [{ N: "+1E+2" }] },
      { NS: ["1.0", "-0", "5e-1"] },
      { BOOL: true },
      { BOOL: false },
      { NULL: true },
      { B: new Uint8Array([0, 1, 254, 255]) },
      { M: { z: { N: "1" }, a: { S: 'q"\n,' }, m: { M: {} } } },
      { M: { plain: { S: "no quotes here" } } },
      { L: [] },
      { L: [{ S: "x,y" }, { NULL: true }] },
      { SS: ["b", "a,c"] },
      { NS: ["10", "-1", "0.5"] },
      { BS: [new Uint8Array([2]), new Uint8Array([1])] },
    ];
    for (const value of values) {
      expect(csvCell(value), JSON.stringify(value)).toBe(quoteCell(cellText(value)));
      expect(csvCell(value, true), `spreadsheet-safe ${JSON.stringify(value)}`).toBe(quoteCell(cellText(value, true), true));
    }
  });
});

describe("spreadsheet-safe cells (OWASP CSV injection)", () => {
  it("prefixes a single quote to text beginning with = + - @ tab or CR, nothing else", () => {
    for (const text of ["=1+2", "+1", "-1", "@x", "\tx", "\rx"]) expect(spreadsheetSafeText(text)).toBe(`'${text}`);
    for (const text of ["", "a=1", "1", " =x", "'=x", "ñ", "{}", "[=]"]) expect(spreadsheetSafeText(text)).toBe(text);
  });

  it("strings and base64 are escaped, numbers stay numbers, JSON starts with { or [", () => {
    expect(csvCell({ S: "-5" }, true)).toBe("'-5");
    expect(csvCell({ N: "-5" }, true)).toBe("-5");
    expect(csvCell({ N: "+5" }, true)).toBe("5");
    expect(csvCell({ B: new Uint8Array([0xfb, 0xff]) }, true)).toBe("'+/8=");
    expect(csvCell({ B: new Uint8Array([0xfb, 0xff]) })).toBe("+/8=");
    expect(csvCell({ BOOL: true }, true)).toBe("true");
    expect(csvCell({ M: { k: { S: "=x" } } }, true)).toBe('"{""k"":""=x""}"');
    // default stays verbatim
    expect(csvCell({ S: "=1+2" })).toBe("=1+2");
  });

  it("keeps RFC 4180 quoting, and quotes a ; so a spreadsheet splitting on ; cannot start a formula inside", () => {
    expect(csvCell({ S: '=HYPERLINK("http://x","y")' }, true)).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell({ S: "a;=1+2" }, true)).toBe('"a;=1+2"');
    expect(csvCell({ S: "a;=1+2" })).toBe("a;=1+2");
    expect(csvCell({ S: "=1\n+2" }, true)).toBe('"\'=1\n+2"');
  });

  it("a real CSV parser reads back each escaped value, the header's too", () => {
    const item = {
      id: { S: "-7" },
      fecha: { S: "2026-11-22" },
      estado: { S: "@cmd" },
      "=evil": { S: '=IMPORTXML("http://x";"//a")' },
      saldo: { N: "-12.50" },
      nota: { S: '\t=1, "q"' },
    };
    const shaper = new RowShaper(true);
    const row = shaper.shape(item);
    const assembler = new RowAssembler(row.signature.names, shaper.signatures, true);
    const text = assembler.header + assembler.line(row.signature.id, row.cells);
    const [header, values] = parse(text, { relax_column_count: false }) as string[][];
    expect(header).toEqual(["id", "fecha", "estado", "'=evil", "nota", "saldo"]);
    expect(values).toEqual(["'-7", "2026-11-22", "'@cmd", '\'=IMPORTXML("http://x";"//a")', '\'\t=1, "q"', "-12.5"]);
  });
});
