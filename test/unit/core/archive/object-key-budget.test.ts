// The archive's object keys against S3's 1024-byte limit, which the emulator does not enforce:
// the readable layout is kept byte for byte while the key segments fit KEY_PART_BUDGET, and the
// short form takes over exactly past it.
import { describe, expect, it } from "vitest";
import {
  archiveObjectKey,
  candidatePrefixes,
  canonicalHash,
  KEY_PART_BUDGET,
  keyPrefix,
  keySegments,
  MAX_EVENT_ID_BYTES,
  MAX_TABLE_NAME_BYTES,
  parseArchiveObjectKey,
  readableKeyPrefix,
  S3_MAX_KEY_BYTES,
  shortSegment,
} from "../../../../src/core/archive/object-key";

const AT = "2026-11-23T16:30:23.000Z";
const bytes = (text: string) => Buffer.byteLength(text, "utf8");
const LONGEST_TABLE = `T${"x".repeat(MAX_TABLE_NAME_BYTES - 1)}`;
const LONGEST_EVENT_ID = "e".repeat(MAX_EVENT_ID_BYTES);

// Object keys the layout gave before the short form existed (computed with the previous
// object-key.ts, keys from the existing tests): archives already written must stay where they are.
const GOLDEN: [string, { name: string; value: string }[], string, string, string][] = [
  [
    "dev-TRAZABILIDAD",
    [{ name: "id", value: "A-1" }],
    AT,
    "c4ca4238a0b923820dcc509a6f75849b",
    "archive/dev-TRAZABILIDAD/id=A-1/20261123T163023.000Z_c4ca4238a0b923820dcc509a6f75849b.json",
  ],
  [
    "archive-fidelity-x",
    [
      { name: "pk", value: "ORDER#1/2026" },
      { name: "sk", value: "LINE#1/a b" },
    ],
    AT,
    "7de3041dd709b024af6f29e4fa13d34c",
    "archive/archive-fidelity-x/pk=ORDER%231%2F2026/sk=LINE%231%2Fa%20b/20261123T163023.000Z_7de3041dd709b024af6f29e4fa13d34c.json",
  ],
  [
    "dev-Configuration",
    [{ name: "key", value: "CACHE#TTL/SEC" }],
    "2026-01-02T03:04:05.678Z",
    "e",
    "archive/dev-Configuration/key=CACHE%23TTL%2FSEC/20260102T030405.678Z_e.json",
  ],
  [
    "T",
    [
      { name: "pk#/=", value: "ñandú café" },
      { name: "sk", value: "emoji 🚚#2" },
    ],
    AT,
    "ev/1",
    "archive/T/pk%23%2F%3D=%C3%B1and%C3%BA%20caf%C3%A9/sk=emoji%20%F0%9F%9A%9A%232/20261123T163023.000Z_ev%2F1.json",
  ],
  // 100 'ñ': 3 + 600 + 1 = 604 bytes of segment, just inside the budget.
  ["T", [{ name: "id", value: "ñ".repeat(100) }], AT, "e", `archive/T/id=${"%C3%B1".repeat(100)}/20261123T163023.000Z_e.json`],
];

describe("the key budget", () => {
  it("is what is left of 1024 bytes after the worst case of the fixed parts", () => {
    // archive/ 8 + table 255 + / 1 + timestamp 20 + _ 1 + eventID 128 + .json 5 = 418
    expect(KEY_PART_BUDGET).toBe(1024 - 418);
    expect(KEY_PART_BUDGET).toBe(606);
    // A key that fills the budget, in the longest table, with the longest eventID kept as is: exactly 1024.
    const keys = [{ name: "id", value: "a".repeat(KEY_PART_BUDGET - "id=/".length) }];
    const objectKey = archiveObjectKey(LONGEST_TABLE, keys, AT, LONGEST_EVENT_ID);
    expect(objectKey.endsWith(`_${LONGEST_EVENT_ID}.json`)).toBe(true);
    expect(bytes(objectKey)).toBe(S3_MAX_KEY_BYTES);
  });
});

describe("keys that fit keep today's readable layout byte for byte", () => {
  it.each(GOLDEN)("%s %j", (table, keys, deletedAt, eventId, expected) => {
    expect(archiveObjectKey(table, keys, deletedAt, eventId)).toBe(expected);
    expect(parseArchiveObjectKey(expected)).toMatchObject({ keys, shortKey: false, eventId });
  });
});

describe("the switch to the short form", () => {
  const id = (length: number) => [{ name: "id", value: "a".repeat(length) }];

  it("happens exactly when the readable segments pass the budget (one key)", () => {
    const fits = id(KEY_PART_BUDGET - "id=/".length);
    expect(keyPrefix("T", fits)).toBe(readableKeyPrefix("T", fits));
    expect(keySegments(fits).join("")).toHaveLength(KEY_PART_BUDGET);
    const over = id(KEY_PART_BUDGET - "id=/".length + 1);
    expect(keySegments(over)).toEqual([shortSegment(over[0] as never)]);
    expect(keyPrefix("T", over)).toBe(`archive/T/=sha256=${canonicalHash(["id", "a".repeat(KEY_PART_BUDGET - 3)])}/`);
  });

  it("happens exactly at the budget for two keys, and only the segment that does not fit goes short", () => {
    const pk = { name: "pk", value: "p".repeat(100) }; // 104 bytes of segment
    const sk = (length: number) => ({ name: "sk", value: "s".repeat(length) });
    const fits = [pk, sk(KEY_PART_BUDGET - 104 - "sk=/".length)];
    expect(keySegments(fits).join("")).toHaveLength(KEY_PART_BUDGET);
    expect(keyPrefix("T", fits)).toBe(readableKeyPrefix("T", fits));
    const over = [pk, sk(KEY_PART_BUDGET - 104 - "sk=/".length + 1)];
    const [first, second] = keySegments(over);
    expect(first).toBe(`pk=${"p".repeat(100)}/`);
    expect(second).toMatch(/^=sha256=[0-9a-f]{64}\/$/);
    // A long partition key goes short by itself, so listing by it alone finds every sort key.
    const longPk = { name: "pk", value: "ñ".repeat(200) };
    expect(keySegments([longPk, sk(5)])[0]).toBe(keySegments([longPk])[0]);
    expect(keySegments([longPk, sk(5)])[1]).toBe("sk=sssss/");
  });

  it("hashes the name and the value as netstrings (reproducible with sha256sum)", () => {
    // printf '2:id,3:abc,' | sha256sum
    expect(canonicalHash(["id", "abc"])).toBe("88c1999f5e2e00117a6b3d3abb355b8284c3d2d188902157cd9bc4040f7a3d8b");
    // printf '2:pk,6:ñññ,' | sha256sum (6 bytes of UTF-8)
    expect(canonicalHash(["pk", "ñññ"])).toBe("f2ec381982bbd2d4c9320af4364b2f5f4f6a9c40eb8bb4c6fe43009374211e9b");
    expect(shortSegment({ name: "a", value: "bc" })).not.toBe(shortSegment({ name: "ab", value: "c" }));
    expect(shortSegment({ name: "id", value: "x" })).toHaveLength(73);
  });

  it("a short object key parses as short, with its segment count, and is never read as readable", () => {
    const keys = [
      { name: "pk", value: "€".repeat(682) },
      { name: "sk", value: "x" },
    ];
    const ref = parseArchiveObjectKey(archiveObjectKey("T", keys, AT, "ev"));
    expect(ref).toMatchObject({ table: "T", keys: [], keySegments: 2, shortKey: true, eventId: "ev", deletedAt: AT });
    // A readable attribute named like the marker's pieces stays readable.
    expect(parseArchiveObjectKey(archiveObjectKey("T", [{ name: "_h", value: "0".repeat(64) }], AT, "e"))?.keys).toEqual([
      { name: "_h", value: "0".repeat(64) },
    ]);
    expect(parseArchiveObjectKey(`archive/T/=sha256=xyz/20261123T163023.000Z_e.json`)).toBeUndefined();
  });

  it("an eventID longer than reserved is hashed into the file name", () => {
    const long = "v".repeat(MAX_EVENT_ID_BYTES + 1);
    const objectKey = archiveObjectKey(LONGEST_TABLE, [{ name: "id", value: "a".repeat(602) }], AT, long);
    expect(bytes(objectKey)).toBeLessThanOrEqual(S3_MAX_KEY_BYTES);
    expect(objectKey.endsWith(`_=sha256=${canonicalHash([long])}.json`)).toBe(true);
    expect(parseArchiveObjectKey(objectKey)?.eventId).toBe(`=sha256=${canonicalHash([long])}`);
  });

  it("looks under the readable folder too when it differs and could hold an object", () => {
    const short = [{ name: "id", value: "a".repeat(700) }];
    expect(candidatePrefixes("T", short)).toEqual([keyPrefix("T", short), readableKeyPrefix("T", short)]);
    const fits = [{ name: "id", value: "a" }];
    expect(candidatePrefixes("T", fits)).toEqual(["archive/T/id=a/"]);
    const impossible = [{ name: "id", value: "ñ".repeat(1000) }];
    expect(candidatePrefixes("T", impossible)).toEqual([keyPrefix("T", impossible)]);
  });
});

describe("every legal DynamoDB key fits S3's 1024 bytes", () => {
  // DynamoDB: partition key up to 2048 bytes, sort key up to 1024, attribute names up to 255.
  const ofBytes = (char: string, total: number) => char.repeat(total / bytes(char));
  const name255 = `${"ñ".repeat(127)}a`;
  const cases: Record<string, { name: string; value: string }[]> = {
    "2048-byte partition key, 1-byte chars": [{ name: "id", value: ofBytes("a", 2048) }],
    "2048-byte partition key, 2-byte chars": [{ name: "id", value: ofBytes("ñ", 2048) }],
    "2048-byte partition key, 4-byte chars": [{ name: "id", value: ofBytes("🚚", 2048) }],
    "1024-byte sort key": [
      { name: "pk", value: "a" },
      { name: "sk", value: `${ofBytes("€", 1023)}a` },
    ],
    "both at their maximum, 255-byte names": [
      { name: name255, value: ofBytes("🚚", 2048) },
      { name: `${name255.slice(0, -1)}b`, value: ofBytes("ñ", 1024) },
    ],
    "binary keys of maximal size (base64)": [
      { name: "pk", value: Buffer.alloc(2048, 0xff).toString("base64") },
      { name: "sk", value: Buffer.alloc(1024, 0xfe).toString("base64") },
    ],
  };
  it.each(Object.entries(cases))("%s", (_, keys) => {
    for (const eventId of ["c4ca4238a0b923820dcc509a6f75849b", LONGEST_EVENT_ID, "x".repeat(5000)]) {
      const objectKey = archiveObjectKey(LONGEST_TABLE, keys, AT, eventId);
      expect(bytes(objectKey)).toBeLessThanOrEqual(S3_MAX_KEY_BYTES);
      expect(parseArchiveObjectKey(objectKey)?.keySegments).toBe(keys.length);
    }
  });
});
