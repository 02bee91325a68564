// Builds the CLI (dist/) with esbuild. Dependencies stay external (resolved from node_modules);
// command modules are split so `trace --help` loads none of the AWS SDK.
import { readdirSync, rmSync } from "node:fs";
import { basename } from "node:path";
import { build } from "esbuild";

const result = await build({
  entryPoints: { cli: "src/cli.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
  metafile: true,
});

// Chunks are named by content hash: remove the ones an earlier build left, once this one is complete.
const written = new Set(Object.keys(result.metafile.outputs).map((path) => basename(path)));
for (const file of readdirSync("dist")) if (!written.has(file)) rmSync(`dist/${file}`, { force: true });
