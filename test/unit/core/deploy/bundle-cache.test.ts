import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { bundleEntry } from "../../../../src/core/deploy/bundle";

let root: string;
const write = (path: string, text: string) => writeFileSync(join(root, path), text);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "trace-bundle-cache-"));
  write("package.json", "{}");
  write("entry.ts", 'import { value } from "./dep";\nexport const handler = async () => value;\n');
  write("dep.ts", "export const value = 1;\n");
});

describe("the bundle cache", () => {
  it("reuses a bundle while no input changed, and rebuilds when one did", async () => {
    const first = await bundleEntry(root, "entry.ts", "fn");
    expect(first.cached).toBe(false);
    const again = await bundleEntry(root, "entry.ts", "fn");
    expect(again.cached).toBe(true);
    expect(Buffer.from(again.code).equals(Buffer.from(first.code))).toBe(true);

    write("dep.ts", "export const value = 2;\n"); // an imported file, not the entry
    const changed = await bundleEntry(root, "entry.ts", "fn");
    expect(changed.cached).toBe(false);
    expect(new TextDecoder().decode(changed.code)).toContain("2");

    write("dep.ts", "export const value = 1;\n");
    const back = await bundleEntry(root, "entry.ts", "fn");
    expect(back.cached).toBe(false);
    expect(Buffer.from(back.code).equals(Buffer.from(first.code))).toBe(true);
  });

  it("rebuilds when the lockfile changes or the cache record is damaged", async () => {
    await bundleEntry(root, "entry.ts", "fn");
    write("package-lock.json", '{"lockfileVersion":3}');
    expect((await bundleEntry(root, "entry.ts", "fn")).cached).toBe(false);
    writeFileSync(join(root, ".trace", "bundle", "fn", "inputs.json"), "{not json");
    expect((await bundleEntry(root, "entry.ts", "fn")).cached).toBe(false);
    expect((await bundleEntry(root, "entry.ts", "fn")).cached).toBe(true);
  });
});
