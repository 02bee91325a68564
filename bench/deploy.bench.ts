// Deploy benchmark: no-op redeploy of every stack (the CLI as an operator runs it, and the engine
// in-process), the same after a one-line change to one handler (only its artifact uploads), and
// each handler's bundle size and cold `import` time in a fresh Node process.
// Baselines from the same run: `trace status` (CLI start-up + reading five stacks) and the cold
// import of an empty module.
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../src/core/aws/clients";
import * as more from "../src/core/aws/more-clients";
import { environmentSchema, resolveEnvironment } from "../src/core/config";
import { buildArtifact } from "../src/core/deploy/artifacts";
import { bundleFunction } from "../src/core/deploy/bundle";
import { deploy } from "../src/core/deploy/deploy";
import { silentReporter } from "../src/core/reporter";
import { FUNCTIONS, type FunctionId, STACKS } from "../src/core/stacks";
import { measure, median, printRow, root, withEmulator } from "./support";

const RUNS = 5;
const realTemplates = join(root, "cloudformation");
const templates = STACKS.every((s) => existsSync(join(realTemplates, `${s}.yaml`)))
  ? realTemplates
  : join(root, "test", "fixtures", "cloudformation");
const ms = (v: number) => `${v.toFixed(0)}ms`;

function cli(args: string[], cwd: string, endpoint: string): void {
  const run = spawnSync(process.execPath, [join(root, "bin", "trace"), ...args, "--endpoint-url", endpoint], {
    cwd,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      TRACE_TEMPLATES_DIR: templates,
    },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`trace ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
}

/** A copy of the sources to edit a handler in, sharing node_modules, so the worktree is never touched. */
function scratchRoot(): string {
  const scratch = mkdtempSync(join(tmpdir(), "trace-bench-deploy-"));
  for (const part of ["lambda", "src", "package.json", "tsconfig.json"]) cpSync(join(root, part), join(scratch, part), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(scratch, "node_modules"));
  return scratch;
}

function coldImportMs(file: string): number {
  const code = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const run = spawnSync(process.execPath, ["--enable-source-maps", "--input-type=module", "-e", code], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return Number(run.stdout);
}

await withEmulator(async (emulator) => {
  console.log(
    `templates: ${templates === realTemplates ? "cloudformation/ (real)" : "test/fixtures/cloudformation (the real ones have not landed)"}`,
  );
  const cwd = mkdtempSync(join(tmpdir(), "trace-bench-cwd-"));
  writeFileSync(
    join(cwd, "trace.config.yaml"),
    "environments:\n  bench:\n    stage: bench\n    region: us-east-1\n    prefix: bench-\n    streamTriggers: false\n",
  );
  const bench = environmentSchema.parse({ stage: "bench", region: "us-east-1", prefix: "bench-", streamTriggers: false });
  const env = resolveEnvironment(
    { path: undefined, file: { environments: { bench } } },
    { env: "bench", endpointUrl: emulator.endpoint },
    {},
  );
  const clients = createAwsClients({ region: "us-east-1", endpointUrl: emulator.endpoint, credentials: EMULATOR_CREDENTIALS }, more);
  const engine = (projectRoot: string) =>
    deploy({
      env,
      cloudformation: clients.cloudformation,
      s3: clients.s3,
      stacks: [],
      templatesDir: templates,
      root: projectRoot,
      execute: true,
      reporter: silentReporter,
    });

  const first = await measure(() => cli(["deploy", "--yes"], cwd, emulator.endpoint), 1, 0);
  printRow("first deploy, all stacks (CLI)", { wall: ms(first[0] ?? 0) });

  const status = await measure(() => cli(["status"], cwd, emulator.endpoint), RUNS, 1);
  const noopCli = await measure(() => cli(["deploy", "--yes"], cwd, emulator.endpoint), RUNS, 1);
  printRow("baseline: trace status (CLI)", { median: ms(median(status)) });
  printRow("no-op redeploy, all stacks (CLI)", {
    median: ms(median(noopCli)),
    "vs status": `${(median(noopCli) / median(status)).toFixed(1)}x`,
  });
  // The forecast's share: the same redeploy without it, and the forecast on its own.
  const noForecast = await measure(() => cli(["deploy", "--yes", "--no-forecast"], cwd, emulator.endpoint), RUNS, 1);
  const forecastOnly = await measure(() => cli(["forecast"], cwd, emulator.endpoint), RUNS, 1);
  printRow("no-op redeploy, all stacks, --no-forecast (CLI)", {
    median: ms(median(noForecast)),
    "forecast share": ms(median(noopCli) - median(noForecast)),
  });
  printRow("trace forecast, all stacks (CLI)", {
    median: ms(median(forecastOnly)),
    "vs status": `${(median(forecastOnly) / median(status)).toFixed(1)}x`,
  });

  let uploads = -1;
  const noopEngine = await measure(async () => {
    uploads = (await engine(root)).uploaded;
  }, RUNS);
  printRow("no-op redeploy, all stacks (engine, in-process)", { median: ms(median(noopEngine)), uploaded: uploads });

  const scratch = scratchRoot();
  try {
    // The copy's bundles differ from the worktree's (their source-map paths run through the symlinked
    // node_modules): publish them once, unmeasured, so each measured run changes one handler only.
    await engine(scratch);
    let revision = 0;
    const changed: number[] = [];
    const uploadedNames: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      // A one-line change that survives minification: a new export of the entry module.
      appendFileSync(join(scratch, FUNCTIONS.export.source), `export const benchRevision${++revision} = ${revision};\n`);
      const start = performance.now();
      const result = await engine(scratch);
      changed.push(performance.now() - start);
      uploadedNames.push(
        result.artifacts
          .filter((a) => a.uploaded)
          .map((a) => a.name)
          .join("+"),
      );
    }
    printRow("redeploy after a one-line change to export", {
      median: ms(median(changed)),
      "vs no-op": `${(median(changed) / median(noopEngine)).toFixed(1)}x`,
      uploaded: [...new Set(uploadedNames)].join(","),
      "uploads/run": uploadedNames.map((n) => n.split("+").filter(Boolean).length).join(","),
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const out = join(root, ".trace", "bench", "bundles");
  mkdirSync(out, { recursive: true });
  const empty = join(out, "empty.mjs");
  writeFileSync(empty, "export {};\n");
  const baseline = median(Array.from({ length: RUNS }, () => coldImportMs(empty)));
  printRow("baseline: cold import of an empty module", { median: `${baseline.toFixed(1)}ms` });
  for (const id of Object.keys(FUNCTIONS) as FunctionId[]) {
    const artifact = await buildArtifact(root, id);
    const dir = join(out, artifact.name);
    mkdirSync(dir, { recursive: true });
    const bundle = await bundleFunction(root, id);
    writeFileSync(join(dir, "index.mjs"), bundle.code);
    writeFileSync(join(dir, "index.mjs.map"), bundle.map);
    const times = Array.from({ length: RUNS }, () => coldImportMs(join(dir, "index.mjs")));
    printRow(`handler ${artifact.name}`, {
      "index.mjs": `${(artifact.bundleBytes / 1024).toFixed(1)}KiB`,
      zip: `${(artifact.zipBytes / 1024).toFixed(1)}KiB`,
      "cold import": `${median(times).toFixed(1)}ms`,
      "vs empty": `${(median(times) / baseline).toFixed(1)}x`,
    });
  }
  clients.destroy();
});
