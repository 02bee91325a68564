import { describe, expect, it } from "vitest";
import { deterministicZip, sha256Hex } from "../../../../src/core/deploy/zip";

const a = { name: "index.mjs", data: new TextEncoder().encode("export const handler = async () => 1;\n") };
const b = { name: "index.mjs.map", data: new TextEncoder().encode('{"version":3,"sources":[],"mappings":""}') };

// Central-directory entries in order: signature PK\x01\x02, name length at +28, name at +46.
function entryNames(zip: Buffer): string[] {
  const names: string[] = [];
  for (let i = zip.indexOf("PK\x01\x02", 0, "latin1"); i >= 0; i = zip.indexOf("PK\x01\x02", i + 4, "latin1")) {
    const length = zip.readUInt16LE(i + 28);
    names.push(zip.subarray(i + 46, i + 46 + length).toString("utf8"));
  }
  return names;
}

describe("deterministicZip", () => {
  it("gives the same bytes for the same entries, whatever their order or the time", async () => {
    const first = await deterministicZip([a, b]);
    await new Promise((r) => setTimeout(r, 1100)); // a real mtime would now differ by a DOS tick
    const second = await deterministicZip([b, a]);
    expect(second.equals(first)).toBe(true);
    expect(sha256Hex(second)).toBe(sha256Hex(first));
  });

  it("sorts entries by name and stores fixed 1980-01-01 timestamps and 0644 permissions", async () => {
    const zip = await deterministicZip([b, a]);
    expect(entryNames(zip)).toEqual(["index.mjs", "index.mjs.map"]);
    const central = zip.indexOf("PK\x01\x02", 0, "latin1");
    expect(zip.readUInt16LE(central + 12)).toBe(0); // DOS time 00:00:00
    expect(zip.readUInt16LE(central + 14)).toBe((0 << 9) | (1 << 5) | 1); // DOS date 1980-01-01
    expect(zip.readUInt32LE(central + 38) >>> 16).toBe(0o100644); // external attributes: unix mode
  });

  it("changes its hash when a byte of content changes", async () => {
    const changed = { ...a, data: new TextEncoder().encode("export const handler = async () => 2;\n") };
    expect(sha256Hex(await deterministicZip([changed, b]))).not.toBe(sha256Hex(await deterministicZip([a, b])));
  });
});
