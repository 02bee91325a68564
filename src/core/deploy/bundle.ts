/**
 * Bundling a Lambda handler with esbuild: one ESM file `index.mjs` (handler `index.handler`)
 * with its source map, for Node 22, minified, with the AWS SDK bundled in (the runtime's copy
 * is not pinned, ours is). Bundles are cached under `<root>/.trace/bundle/<name>/` and reused
 * while every file esbuild read for them is byte-identical.
 */
import { basename, join } from "node:path";
import type { BuildOptions } from "esbuild";
import { FUNCTIONS, type FunctionId } from "../stacks";
import { type BuildOptionsLike, readCachedBundle, writeCachedBundle } from "./bundle-cache";

export interface Bundle {
  function: FunctionId;
  /** Short name used in artifact keys and messages: the source file's base name. */
  name: string;
  code: Uint8Array;
  map: Uint8Array;
  /** True when no input changed since the last bundle, which was reused. */
  cached: boolean;
}

export interface EntryBundle {
  code: Uint8Array;
  map: Uint8Array;
  cached: boolean;
}

/** The artifact name of a function: `lambda/audit-producer.ts` → `audit-producer`. */
export const functionName = (id: FunctionId): string => basename(FUNCTIONS[id].source).replace(/\.[cm]?ts$/, "");

/** Bundles one handler from `root` (the package root). esbuild is loaded only when a deploy bundles. */
export async function bundleFunction(root: string, id: FunctionId): Promise<Bundle> {
  const bundle = await bundleEntry(root, FUNCTIONS[id].source, functionName(id));
  return { function: id, name: functionName(id), ...bundle };
}

/** The esbuild options for an entry; part of the cache key, so a change here rebuilds. */
function buildOptions(root: string, source: string, name: string): BuildOptions & BuildOptionsLike {
  return {
    absWorkingDir: root,
    entryPoints: [join(root, source)],
    // A fixed, root-relative outfile keeps the source map's paths (and so the bytes) identical on every machine.
    outfile: join(root, ".trace", "bundle", name, "index.mjs"),
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    // "linked" writes the sourceMappingURL comment that `--enable-source-maps` follows.
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    // Some bundled CommonJS dependencies call require() for Node built-ins; ESM has none, so give them one.
    banner: { js: 'import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);' },
  };
}

/** Bundles any entry file (relative to `root`) the way handlers are bundled. */
export async function bundleEntry(root: string, source: string, name: string): Promise<EntryBundle> {
  const esbuild = await import("esbuild");
  const options = buildOptions(root, source, name);
  const cacheDir = join(root, ".trace", "bundle", name);
  const cached = readCachedBundle(cacheDir, root, options, esbuild.version);
  if (cached) return { ...cached, cached: true };
  const result = await esbuild.build({ ...options, write: false, metafile: true, logLevel: "silent" });
  const code = result.outputFiles?.find((f) => f.path.endsWith(".mjs"));
  const map = result.outputFiles?.find((f) => f.path.endsWith(".mjs.map"));
  if (!code || !map) throw new Error(`esbuild produced no output for ${name}`);
  writeCachedBundle(cacheDir, root, options, esbuild.version, Object.keys(result.metafile?.inputs ?? {}), {
    code: code.contents,
    map: map.contents,
  });
  return { code: code.contents, map: map.contents, cached: false };
}
