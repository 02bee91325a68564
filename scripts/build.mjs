// Builds the CLI (dist/) with esbuild. Dependencies stay external (resolved from node_modules);
// command modules are split so `trace --help` loads none of the AWS SDK.
import { build } from "esbuild";

await build({
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
});
