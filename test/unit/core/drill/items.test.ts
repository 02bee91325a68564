import { describe, expect, it } from "vitest";
import { canonicalItem, differingAttributes, itemDigest, keyFromText, keyNames, keyText } from "../../../../src/core/drill/items";

describe("comparing items as DynamoDB means them", () => {
  const item = {
    id: { S: "A-1" },
    n: { N: "2.0" },
    ss: { SS: ["b", "a"] },
    ns: { NS: ["10", "9.50", "-1"] },
    bs: { BS: [new Uint8Array([2]), new Uint8Array([1])] },
    m: { M: { z: { BOOL: true }, a: { NULL: true as const } } },
    l: { L: [{ S: "x" }, { N: "1e2" }] },
  };

  it("ignores map key order, set member order and number notation", () => {
    const same = {
      l: { L: [{ S: "x" }, { N: "100" }] },
      m: { M: { a: { NULL: true as const }, z: { BOOL: true } } },
      bs: { BS: [new Uint8Array([1]), new Uint8Array([2])] },
      ns: { NS: ["-1", "9.5", "10"] },
      ss: { SS: ["a", "b"] },
      n: { N: "2" },
      id: { S: "A-1" },
    };
    expect(canonicalItem(same)).toBe(canonicalItem(item));
    expect(itemDigest(same)).toBe(itemDigest(item));
    expect(itemDigest(item)).toMatch(/^[A-Za-z0-9+/]{22}$/);
  });

  it("keeps types and list order: the string 5 is not the number 5, a binary is not its base64 text", () => {
    expect(itemDigest({ v: { S: "5" } })).not.toBe(itemDigest({ v: { N: "5" } }));
    expect(itemDigest({ v: { B: new Uint8Array([1, 2]) } })).not.toBe(itemDigest({ v: { S: "AQI=" } }));
    expect(itemDigest({ v: { L: [{ S: "a" }, { S: "b" }] } })).not.toBe(itemDigest({ v: { L: [{ S: "b" }, { S: "a" }] } }));
    expect(itemDigest({ v: { SS: ["a"] } })).not.toBe(itemDigest({ v: { L: [{ S: "a" }] } }));
  });

  it("names the attributes that differ, added and removed ones included", () => {
    expect(differingAttributes(item, { ...item, n: { N: "3" }, extra: { S: "x" } })).toEqual(["extra", "n"]);
    const { ss: _dropped, ...fewer } = item;
    expect(differingAttributes(item, fewer)).toEqual(["ss"]);
    expect(differingAttributes(item, { ...item, ss: { SS: ["a", "b"] } })).toEqual([]);
  });

  it("writes a key as text and reads it back as DynamoDB's key, hash key first", () => {
    const names = keyNames([
      { AttributeName: "sk", KeyType: "RANGE" },
      { AttributeName: "pk", KeyType: "HASH" },
    ]);
    expect(names).toEqual(["pk", "sk"]);
    const text = keyText({ sk: { N: "007.50" }, pk: { S: "ORDER#1" }, other: { S: "x" } }, names);
    expect(text).toBe('{"pk":"ORDER#1","sk":"7.5"}');
    expect(
      keyFromText(text, [
        { name: "pk", type: "S" },
        { name: "sk", type: "N" },
      ]),
    ).toEqual({ pk: { S: "ORDER#1" }, sk: { N: "7.5" } });
    expect(keyFromText(keyText({ b: { B: new Uint8Array([255]) } }, ["b"]), [{ name: "b", type: "B" }]).b?.B).toEqual(Buffer.from([255]));
  });
});
