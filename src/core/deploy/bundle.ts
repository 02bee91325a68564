/**
 * Bundling a Lambda handler with esbuild: one ESM file `index.mjs` (handler `index.handler`)
 * with its source map, for Node 22, minified, with the AWS SDK bundled in (the runtime's copy
 * is not pinned, ours is).
 */
import { basename, join } from "node:path";
import { FUNCTIONS, type FunctionId } from "../stacks";

export interface Bundle {
  function: FunctionId;
  /** Short name used in artifact keys and messages: the source file's base name. */
  name: string;
  code: Uint8Array;
  map: Uint8Array;
}

/** The artifact name of a function: `lambda/audit-producer.ts` → `audit-producer`. */
export const functionName = (id: FunctionId): string => basename(FUNCTIONS[id].source).replace(/\.[cm]?ts$/, "");

/** Bundles one handler from `root` (the package root). esbuild is loaded only when a deploy bundles. */
export async function bundleFunction(root: string, id: FunctionId): Promise<Bundle> {
  const { code, map } = await bundleEntry(root, FUNCTIONS[id].source, functionName(id));
  return { function: id, name: functionName(id), code, map };
}

/** Bundles any entry file (relative to `root`) the way handlers are bundled. */
export async function bundleEntry(root: string, source: string, name: string): Promise<{ code: Uint8Array; map: Uint8Array }> {
  const { build } = await import("esbuild");
  // A fixed, root-relative outfile keeps the source map's paths (and so the bytes) identical on every machine.
  const outfile = join(root, ".trace", "bundle", name, "index.mjs");
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, source)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    // "linked" writes the sourceMappingURL comment that `--enable-source-maps` follows.
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    write: false,
    logLevel: "silent",
    // Some bundled CommonJS dependencies call require() for Node built-ins; ESM has none, so give them one.
    banner: { js: 'import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);' },
  });
  const code = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
  const map = result.outputFiles.find((f) => f.path.endsWith(".mjs.map"));
  if (!code || !map) throw new Error(`esbuild produced no output for ${name}`);
  return { code: code.contents, map: map.contents };
}
