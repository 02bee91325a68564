/**
 * `trace deploy` and `trace diff`: for each stack in dependency order, a change set from the
 * template and the environment's parameters, shown, confirmed and executed (deploy) or shown
 * and deleted (diff). Lambda artifacts are bundled, and published when a stack needs them.
 */
import { ErrorCode, TraceError } from "../errors";
import { absentOutputs, type FunctionId, STACKS, type StackId, stackName, stackRegion, stacksOf } from "../stacks";
import { type Artifact, buildArtifacts, functionsOfTemplate, type PublishedArtifact } from "./artifacts";
import { deployStack } from "./deploy-stack";
import type { ArtifactResult, DeployOptions, DeployResult, StackPreview, StackResult } from "./deploy-types";
import { withElapsed } from "./execute";
import { type ForecastClients, type ForecastResult, forecast, forecastError } from "./forecast";
import { type CloudFormation, describeStack, outputsOf } from "./stack-state";
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

/**
 * Deploys (or previews, with `execute: false`) the chosen stacks in order. Each stack gets a change
 * set; an empty one is reported as "no changes" and deleted. Execution needs `reporter.confirm`.
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const { env, reporter, signal, execute } = options;
  const showPreview = (p: StackPreview) => options.hooks?.changeSet?.(p);
  const own = stacksOf(env);
  if (options.stacks.includes("dr") && !own.includes("dr"))
    throw new TraceError(ErrorCode.usage, `environment "${env.name}" has no drRegion, so no DR stack`, {
      hint: "set drRegion (e.g. eu-central-1) for the environment in the config file",
    });
  const wanted = new Set<StackId>(options.stacks.length === 0 ? own : options.stacks);
  const last = Math.max(...[...wanted].map((s) => STACKS.indexOf(s)));
  const outputs: Record<string, string> = {};
  const results: StackResult[] = [];
  const published: PublishedArtifact[] = [];
  let built: Map<FunctionId, Artifact> | undefined;

  // The forecast reads before anything is bundled, uploaded or changed.
  const forecastResult = execute && options.forecast ? await runForecast(options, options.forecast) : undefined;

  // Only the handlers of the stacks being deployed are bundled (once, before the first needs them).
  const ensureBuilt = async () => {
    if (built) return built;
    const ids: FunctionId[] = [];
    for (const id of wanted) ids.push(...functionsOfTemplate(readTemplate(options.templatesDir, id).parameters.map((p) => p.name)));
    const { value: artifacts } = await withElapsed(reporter, `bundling ${ids.length} Lambda handler${ids.length === 1 ? "" : "s"}`, () =>
      buildArtifacts(options.root, ids),
    );
    options.hooks?.bundled?.(artifacts);
    built = new Map(artifacts.map((a) => [a.function, a]));
    return built;
  };

  for (const [index, id] of STACKS.entries()) {
    if (index > last) break;
    if (!own.includes(id)) {
      // No drRegion: the base stack's DR parameters are empty (no copies, no replication).
      Object.assign(outputs, absentOutputs(id));
      continue;
    }
    const name = stackName(env, id);
    const cf = cloudFormationOf(options, id);
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
    // A stack of another region (dr) is deployed there: its own client and region, the same run otherwise.
    const region = stackRegion(env, id);
    const here = region === env.region ? options : { ...options, cloudformation: cf, env: { ...env, region } };
    results.push(await deployStack({ options: here, id, name, template, existing, outputs, published, ensureBuilt, showPreview }));
    Object.assign(outputs, results[results.length - 1]?.outputs);
  }
  const artifacts = artifactResults(execute ? published : [...(built?.values() ?? [])], execute);
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
    aliases: results.flatMap((r) => r.aliases ?? []),
  };
}

/**
 * The CloudFormation client of a stack's region: the environment's, or for the DR stack the one
 * `cloudformationIn` builds for drRegion.
 */
export function cloudFormationOf(options: Pick<DeployOptions, "env" | "cloudformation" | "cloudformationIn">, id: StackId): CloudFormation {
  const region = stackRegion(options.env, id);
  if (region === options.env.region) return options.cloudformation;
  if (!options.cloudformationIn)
    throw new TraceError(ErrorCode.failed, `no CloudFormation client for ${region}, where the ${id} stack lives`);
  return options.cloudformationIn(region);
}

/** The forecast before a deploy, shown through the hook; a failed check stops the deploy. */
async function runForecast(options: DeployOptions, clients: ForecastClients): Promise<ForecastResult> {
  const { env, reporter, signal } = options;
  const { value } = await withElapsed(reporter, "forecast: checking what could make the deploy fail", () =>
    forecast({ env, clients, stacks: options.stacks, templatesDir: options.templatesDir, signal }),
  );
  options.hooks?.forecast?.(value);
  if (value.failed > 0) throw forecastError(value);
  return value;
}

/** The artifacts of the result: those published (deploy) or only built (diff). */
function artifactResults(artifacts: readonly (Artifact | PublishedArtifact)[], execute: boolean): ArtifactResult[] {
  return artifacts.map((a) => ({
    function: a.function,
    name: a.name,
    key: a.key,
    bundleBytes: a.bundleBytes,
    zipBytes: a.zipBytes,
    uploaded: execute && "uploaded" in a ? a.uploaded : false,
  }));
}
