/**
 * `trace deploy` and `trace diff`: for each stack in dependency order, a change set from the
 * template and the environment's parameters, shown, confirmed and executed (deploy) or shown
 * and deleted (diff). Lambda artifacts are bundled, and published when a stack needs them.
 */
import { ErrorCode, TraceError } from "../errors";
import type { Reporter } from "../reporter";
import { type FunctionId, STACKS, type StackId, stackName } from "../stacks";
import { type Artifact, buildArtifacts, functionsOfTemplate, type PublishedArtifact } from "./artifacts";
import { deployStack } from "./deploy-stack";
import type { ArtifactResult, DeployOptions, DeployResult, StackPreview, StackResult } from "./deploy-types";
import { withElapsed } from "./execute";
import { type ForecastResult, forecast, forecastError } from "./forecast";
import { describeStack, outputsOf } from "./stack-state";
import { readTemplate } from "./templates";

export type * from "./deploy-types";

/** The stacks to work on, in deploy order; unknown ids are a usage error naming them. */
export function selectStacks(requested: readonly string[]): StackId[] {
  const unknown = requested.filter((s) => !(STACKS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new TraceError(ErrorCode.usage, `unknown stack${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => `"${s}"`).join(", ")}`, {
      hint: `choose among ${STACKS.join(", ")} (or none for all)`,
    });
  }
  return requested.length === 0 ? [...STACKS] : STACKS.filter((s) => requested.includes(s));
}

function plainPreview(reporter: Reporter, preview: StackPreview): void {
  reporter.info(`${preview.stackName} (${preview.changeSetType === "CREATE" ? "new stack" : "update"}):`);
  for (const c of preview.changes) {
    reporter.info(
      `  ${c.action.padEnd(7)} ${c.logicalId.padEnd(32)} ${c.type}${c.replacement ? `  replacement: ${c.replacement}` : ""}${c.detail ? `  ${c.detail}` : ""}`,
    );
  }
  if (preview.note) reporter.info(`  (${preview.note})`);
}

/**
 * Deploys (or previews, with `execute: false`) the chosen stacks in order. Each stack gets a change
 * set; an empty one is reported as "no changes" and deleted. Execution needs `reporter.confirm`.
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const { env, reporter, signal, execute } = options;
  const cf = options.cloudformation;
  const showPreview = (p: StackPreview) => (options.hooks?.changeSet ? options.hooks.changeSet(p) : plainPreview(reporter, p));
  const wanted = new Set<StackId>(options.stacks.length === 0 ? STACKS : options.stacks);
  const last = Math.max(...[...wanted].map((s) => STACKS.indexOf(s)));
  const outputs: Record<string, string> = {};
  const results: StackResult[] = [];
  const published: PublishedArtifact[] = [];
  let built: Map<FunctionId, Artifact> | undefined;

  // The forecast reads before anything is bundled, uploaded or changed.
  let forecastResult: ForecastResult | undefined;
  if (execute && options.forecast) {
    const clients = options.forecast;
    const { value } = await withElapsed(reporter, "forecast: checking what could make the deploy fail", () =>
      forecast({ env, clients, stacks: options.stacks, templatesDir: options.templatesDir, signal }),
    );
    forecastResult = value;
    if (options.hooks?.forecast) options.hooks.forecast(value);
    else
      for (const c of value.checks.filter((c) => c.verdict !== "pass")) reporter.info(`forecast ${c.verdict}: ${c.subject}: ${c.detail}`);
    if (value.failed > 0) throw forecastError(value);
  }

  // Only the handlers of the stacks being deployed are bundled (once, before the first needs them).
  const ensureBuilt = async () => {
    if (built) return built;
    const ids: FunctionId[] = [];
    for (const id of wanted) ids.push(...functionsOfTemplate(readTemplate(options.templatesDir, id).parameters.map((p) => p.name)));
    const { value: artifacts } = await withElapsed(reporter, `bundling ${ids.length} Lambda handler${ids.length === 1 ? "" : "s"}`, () =>
      buildArtifacts(options.root, ids),
    );
    for (const a of artifacts) {
      reporter.info(
        `${a.cached ? "unchanged" : "bundled"} ${a.name}: index.mjs ${kib(a.bundleBytes)}, source map ${kib(a.mapBytes)}, zip ${kib(a.zipBytes)}`,
      );
    }
    built = new Map(artifacts.map((a) => [a.function, a]));
    return built;
  };

  for (const [index, id] of STACKS.entries()) {
    if (index > last) break;
    const name = stackName(env, id);
    const existing = await describeStack(cf, name, signal);
    if (!wanted.has(id)) {
      if (id === "bootstrap" && !existing && execute) {
        reporter.info(`first deploy to ${env.region}: creating ${name} (the artifact bucket for Lambda bundles) first`);
        wanted.add(id);
      } else {
        Object.assign(outputs, outputsOf(existing));
        continue;
      }
    } else if (id === "bootstrap" && !existing && execute) {
      reporter.info(`first deploy to ${env.region}: creating ${name} (the artifact bucket for Lambda bundles)`);
    }
    const template = readTemplate(options.templatesDir, id);
    results.push(await deployStack({ options, id, name, template, existing, outputs, published, ensureBuilt, showPreview }));
    Object.assign(outputs, results[results.length - 1]?.outputs);
  }
  const artifacts: ArtifactResult[] = execute
    ? published.map((p) => ({
        function: p.function,
        name: p.name,
        key: p.key,
        bundleBytes: p.bundleBytes,
        zipBytes: p.zipBytes,
        uploaded: p.uploaded,
      }))
    : [...(built?.values() ?? [])].map((a) => ({
        function: a.function,
        name: a.name,
        key: a.key,
        bundleBytes: a.bundleBytes,
        zipBytes: a.zipBytes,
        uploaded: false,
      }));
  // --allow-replacement names exactly one resource: one that matched nothing is worth saying.
  const matched = new Set(results.flatMap((r) => r.dataLoss.map((d) => d.logicalId)));
  for (const id of options.allowReplacement ?? []) {
    if (!matched.has(id)) reporter.warn(`--allow-replacement ${id}: no change replaces or removes a resource with that logical id`);
  }
  return {
    environment: env.name,
    region: env.region,
    stacks: results,
    artifacts,
    uploaded: artifacts.filter((a) => a.uploaded).length,
    ...(forecastResult ? { forecast: forecastResult } : {}),
  };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
