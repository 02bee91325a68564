import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { dayWindow } from "../../../../src/core/export/day-window";
import { compareKeys, ID_RANK, rowKey, TieOrder } from "../../../../src/core/export/row-order";

const ZONE = "America/Bogota";
const DAY = "2026-11-22";
const window = dayWindow(DAY, ZONE);
const item = (fecha: AttributeValue, id?: AttributeValue) => ({ fecha, estado: { S: "OK" }, ...(id ? { id } : {}) });
const S = (s: string): AttributeValue => ({ S: s });
const N = (n: string): AttributeValue => ({ N: n });

describe("the day's row order", () => {
  it("keys a row by its fecha instant in ms, whatever the notation", () => {
    const at = Date.parse("2026-11-22T15:00:00Z");
    const forms = [
      S("2026-11-22T15:00:00Z"),
      S("2026-11-22T10:00:00-05:00"),
      S("2026-11-22T15:00:00.000+00:00"),
      N(String(at / 1000)),
      N(String(at)),
      N("1.7953596E9"),
      S(String(at / 1000)),
    ];
    expect(at).toBe(1_795_359_600_000);
    for (const fecha of forms) expect(rowKey(item(fecha, S("x")), window).t).toBe(at);
    // Digits finer than the millisecond are dropped: equal instants, so the id decides.
    expect(rowKey(item(S("2026-11-22T15:00:00.0009Z"), S("x")), window).t).toBe(at);
    expect(rowKey(item(N("1795359600.0009"), S("x")), window).t).toBe(at);
  });

  it("puts a plain date at the first instant of its day in the business zone, with that instant's date-times", () => {
    const plain = rowKey(item(S(DAY), S("b")), window);
    expect(plain.t).toBe(window.start);
    const midnight = rowKey(item(S("2026-11-22T00:00:00-05:00"), S("a")), window);
    expect(compareKeys(midnight, plain)).toBeLessThan(0);
    expect(compareKeys(rowKey(item(S("2026-11-22T00:00:00.001-05:00"), S("a")), window), plain)).toBeGreaterThan(0);
  });

  it("orders ids by type (missing, number, string, binary, other), numbers by value, strings by code unit, binary by bytes", () => {
    const ids: (AttributeValue | undefined)[] = [
      undefined,
      N("-3"),
      N("2.50"),
      N("10"),
      S(""),
      S("B"),
      S("a"),
      S("\u{1F372}"),
      S("\uFFFD"),
      { B: new Uint8Array([0]) },
      { B: new Uint8Array([0, 1]) },
      { B: new Uint8Array([255]) },
      { BOOL: true },
    ];
    const keys = ids.map((id) => rowKey(item(S(DAY), id), window));
    // U+1F372 is a surrogate pair (0xD83C …), below U+FFFD by code unit though above it by code point.
    for (let i = 1; i < keys.length; i++) expect(compareKeys(keys[i - 1] as never, keys[i] as never), `${i}`).toBeLessThan(0);
    expect(keys.map((k) => k.rank)).toEqual([0, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4]);
    expect(keys[2]?.id).toBe("2.5");
    expect(compareKeys(rowKey(item(S(DAY), N("2.5")), window), rowKey(item(S(DAY), N("2.50")), window))).toBe(0);
    expect(ID_RANK.S).toBe(2);
  });

  it("refuses a record with no readable fecha (the router sets those aside first)", () => {
    expect(() => rowKey(item(S("2026-11-22T10:00")), window)).toThrow(/unreadable fecha/);
  });

  it("orders rows with equal keys by their line, and lets other rows through as they come", () => {
    const k = { t: 1, rank: ID_RANK.S, id: "x" };
    const ties = new TieOrder();
    let out = "";
    out += ties.push({ t: 0, rank: 2, id: "a" }, "first\r\n");
    out += ties.push(k, "c\r\n");
    out += ties.push(k, "b\r\n");
    out += ties.push(k, "a\r\n");
    out += ties.push({ t: 2, rank: 2, id: "a" }, "last\r\n");
    out += ties.end();
    expect(out).toBe("first\r\na\r\nb\r\nc\r\nlast\r\n");
  });
});
