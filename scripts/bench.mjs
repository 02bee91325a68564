// npm run bench [-- <name>...]: bundles each bench/*.bench.ts with esbuild and runs it in a
// fresh Node process, one after the other (the machine is small; benchmarks never overlap).
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const wanted = process.argv.slice(2);
const files = readdirSync("bench")
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(", ") || "bench/*.bench.ts"}`);
  process.exit(2);
}
mkdirSync(".trace/bench", { recursive: true });
let failed = 0;
for (const file of files) {
  const outfile = join(".trace/bench", file.replace(/\.ts$/, ".mjs"));
  await build({
    entryPoints: [join("bench", file)],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  console.log(`\n=== ${file}`);
  const run = spawnSync(process.execPath, ["--expose-gc", outfile], {
    stdio: "inherit",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
