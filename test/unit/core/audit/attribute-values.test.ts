import { describe, expect, it } from "vitest";
import { canonicalNumber, diffMaps, formatValue, jsonNumberText, sameValue, toSdkValue } from "../../../../src/core/audit/attribute-values";
import { ExactNumber, stringifyExact } from "../../../../src/core/exact-json";

describe("numbers as decimal text", () => {
  it("canonicalNumber makes equal values equal, without parsing into a JS number", () => {
    expect(canonicalNumber("1.50")).toBe(canonicalNumber("1.5"));
    expect(canonicalNumber("15E-1")).toBe(canonicalNumber("1.5"));
    expect(canonicalNumber("0.0150")).toBe(canonicalNumber("1.5e-2"));
    expect(canonicalNumber("-0")).toBe("0");
    expect(canonicalNumber("100")).not.toBe(canonicalNumber("10"));
    const big = "99999999999999999999999999999999999999";
    expect(canonicalNumber(big)).not.toBe(canonicalNumber("99999999999999999999999999999999999998"));
  });

  it("jsonNumberText keeps valid JSON number text as is and repairs the rest", () => {
    expect(jsonNumberText("3600")).toBe("3600");
    expect(jsonNumberText("-1.25E+3")).toBe("-1.25E+3");
    expect(JSON.parse(jsonNumberText(".5"))).toBe(0.5);
    expect(JSON.parse(jsonNumberText("+007"))).toBe(7);
  });

  it("stringifyExact writes ExactNumber bare and omits undefined fields", () => {
    const text = stringifyExact({ a: new ExactNumber("12345678901234567890123456789012345678"), b: undefined, c: [1, "x", null], d: {} });
    expect(text).toBe('{"a":12345678901234567890123456789012345678,"c":[1,"x",null],"d":{}}');
    expect(JSON.parse(stringifyExact({ x: [new ExactNumber("1")], y: { z: true } }, 2))).toEqual({ x: [1], y: { z: true } });
    expect(stringifyExact({ x: [1] }, 2)).toBe(JSON.stringify({ x: [1] }, null, 2));
  });
});

describe("sameValue", () => {
  it("compares by type and meaning", () => {
    expect(sameValue({ N: "1" }, { S: "1" })).toBe(false);
    expect(sameValue({ SS: ["a", "b"] }, { SS: ["b", "a"] })).toBe(true);
    expect(sameValue({ L: [{ S: "a" }, { S: "b" }] }, { L: [{ S: "b" }, { S: "a" }] })).toBe(false);
    expect(sameValue({ M: { a: { N: "1" } } }, { M: { a: { N: "1" }, b: { NULL: true } } })).toBe(false);
    expect(sameValue({ B: new Uint8Array([1, 2]) }, { B: new Uint8Array([1, 2]) })).toBe(true);
    expect(sameValue({ BOOL: false }, { BOOL: false })).toBe(true);
  });

  it("toSdkValue keeps tags and text, and turns base64 binary into bytes", () => {
    expect(toSdkValue({ M: { a: { NS: ["1", "2"] }, b: { NULL: true } } })).toEqual({ M: { a: { NS: ["1", "2"] }, b: { NULL: true } } });
    expect(toSdkValue({ BS: ["AQI="] })).toEqual({ BS: [new Uint8Array([1, 2])] });
    expect(() => toSdkValue({ X: 1 } as never)).toThrow(/unknown DynamoDB attribute value/);
  });
});

describe("human rendering", () => {
  it("formats values compactly and cuts long ones", () => {
    expect(formatValue({ M: { a: { N: "1" }, "b c": { S: "x" }, s: { SS: ["p"] }, l: { L: [{ BOOL: true }] } } })).toBe(
      '{a: 1, "b c": "x", s: set["p"], l: [true]}',
    );
    expect(formatValue(undefined)).toBe("—");
    expect(formatValue({ S: "x".repeat(500) }, 20)).toHaveLength(20);
  });

  it("diffMaps recurses into maps on both sides and marks added, removed and changed keys", () => {
    const before = { a: { N: "1" }, gone: { S: "x" }, deep: { M: { t: { N: "10" }, same: { S: "s" } } } };
    const after = { a: { N: "2" }, added: { BOOL: true }, deep: { M: { t: { N: "20" }, same: { S: "s" } } } };
    expect(diffMaps(before, after).map((d) => `${d.op} ${d.path}`)).toEqual(["~ a", "+ added", "~ deep.t", "- gone"]);
    expect(diffMaps(undefined, { k: { S: "v" } })).toEqual([{ op: "+", path: "k", newValue: { S: "v" } }]);
  });
});
