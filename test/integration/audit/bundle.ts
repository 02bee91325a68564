// Bundles the audit_producer the way the deploy does (esbuild: platform node, target node22,
// ESM, minified, dependencies included), for the bundle test and the benchmark.
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { projectRoot } from "../../support/paths";

/** ESM output still meets CommonJS `require` of Node built-ins inside the SDK: give it one. */
export const ESM_REQUIRE_BANNER = "import{createRequire as __trace_cr}from'node:module';const require=__trace_cr(import.meta.url);";

export async function bundleAuditProducer(
  outfile: string,
  entry = join(projectRoot, "lambda", "audit-producer.ts"),
  plugins: Plugin[] = [],
): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: "warning",
    plugins,
  });
}
