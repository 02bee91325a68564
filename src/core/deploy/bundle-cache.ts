/**
 * The bundle cache: a bundle is reused while the esbuild version, the build options, the lockfile
 * and every input file esbuild read (its metafile) are byte-identical. Best effort: an unreadable
 * or unwritable cache only means bundling again.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The options that shape a bundle (serialised into the cache key). */
export type BuildOptionsLike = Record<string, unknown>;

interface CacheRecord {
  key: string;
  /** Input path (relative to root, as esbuild reports it) → sha256 of its bytes. */
  inputs: Record<string, string>;
}

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

function cacheKey(root: string, options: BuildOptionsLike, esbuildVersion: string): string {
  const lock = join(root, "package-lock.json");
  return sha256(JSON.stringify({ v: 1, esbuildVersion, options, lock: existsSync(lock) ? sha256(readFileSync(lock)) : "" }));
}

/** The cached bundle, when its key matches and none of its inputs changed. */
export function readCachedBundle(
  dir: string,
  root: string,
  options: BuildOptionsLike,
  esbuildVersion: string,
): { code: Uint8Array; map: Uint8Array } | undefined {
  try {
    const record = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8")) as CacheRecord;
    if (record.key !== cacheKey(root, options, esbuildVersion)) return undefined;
    for (const [path, hash] of Object.entries(record.inputs)) {
      if (sha256(readFileSync(resolve(root, path))) !== hash) return undefined;
    }
    return { code: readFileSync(join(dir, "index.mjs")), map: readFileSync(join(dir, "index.mjs.map")) };
  } catch {
    return undefined;
  }
}

export function writeCachedBundle(
  dir: string,
  root: string,
  options: BuildOptionsLike,
  esbuildVersion: string,
  inputs: readonly string[],
  bundle: { code: Uint8Array; map: Uint8Array },
): void {
  try {
    mkdirSync(dir, { recursive: true });
    const record: CacheRecord = {
      key: cacheKey(root, options, esbuildVersion),
      inputs: Object.fromEntries(inputs.map((path) => [path, sha256(readFileSync(resolve(root, path)))])),
    };
    writeFileSync(join(dir, "index.mjs"), bundle.code);
    writeFileSync(join(dir, "index.mjs.map"), bundle.map);
    // Written last: a cache interrupted half-way is never taken for a complete one.
    writeFileSync(join(dir, "inputs.json"), JSON.stringify(record));
  } catch {
    // No cache this time (e.g. a read-only installation); the bundle itself is fine.
  }
}
