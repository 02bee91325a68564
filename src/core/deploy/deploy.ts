/**
 * `trace deploy` and `trace diff`: for each stack in dependency order, a change set from the
 * template and the environment's parameters, shown, confirmed and executed (deploy) or shown
 * and deleted (diff). Lambda artifacts are bundled, and published when a stack needs them.
 */
import { CreateStackCommand, DeleteStackCommand, type Stack, UpdateTerminationProtectionCommand } from "@aws-sdk/client-cloudformation";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ResolvedEnvironment } from "../config";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import { FUNCTIONS, type FunctionId, STACK_OUTPUTS, STACKS, type StackId, stackName } from "../stacks";
import { type Artifact, buildArtifacts, functionsOfTemplate, type PublishedArtifact, publishArtifacts } from "./artifacts";
import { CAPABILITIES, type ChangeRow, changeRowsFromTemplate, createChangeSet, deleteChangeSet, parameterChangeRows } from "./change-sets";
import type { DeployEvent } from "./events";
import { watchStack } from "./events";
import { executeChangeSet, runOperation, stoppedWatching, withElapsed } from "./execute";
import { missingParametersError, resolveParameters, stackTags } from "./parameters";
import { type Backoff, type CloudFormation, describeStack, isInProgress, outputsOf } from "./stack-state";
import { templateLocation } from "./template-upload";
import { readTemplate, type StackTemplate } from "./templates";

export interface StackPreview {
  stack: StackId;
  stackName: string;
  changeSetType: "CREATE" | "UPDATE";
  changes: ChangeRow[];
  /** Why the preview is approximate, when it is (e.g. read from the template). */
  note?: string;
}

export interface DeployHooks {
  /** Shows a change set (the CLI renders a coloured table); default: plain lines via the Reporter. */
  changeSet?(preview: StackPreview): void;
  event?(stackName: string, event: DeployEvent): void;
}

export interface DeployOptions {
  env: ResolvedEnvironment;
  cloudformation: CloudFormation;
  s3: Pick<S3Client, "send">;
  /** Stacks asked for; empty means all. Bootstrap is added when missing. */
  stacks: readonly StackId[];
  templatesDir: string;
  /** The package root: handlers are bundled from `<root>/lambda`. */
  root: string;
  /** false: preview only (`trace diff`), nothing is published or executed. */
  execute: boolean;
  reporter: Reporter;
  signal?: AbortSignal;
  hooks?: DeployHooks;
  backoff?: Backoff;
}

export type StackOutcome = "created" | "updated" | "replaced" | "no-changes" | "would-change" | "would-create";

export interface StackResult {
  stack: StackId;
  stackName: string;
  outcome: StackOutcome;
  changes: ChangeRow[];
  status: string | undefined;
  outputs: Record<string, string>;
  durationMs?: number;
}

export interface ArtifactResult {
  function: FunctionId;
  name: string;
  key: string;
  bundleBytes: number;
  zipBytes: number;
  uploaded: boolean;
}

export interface DeployResult {
  environment: string;
  region: string;
  stacks: StackResult[];
  artifacts: ArtifactResult[];
  /** How many artifacts were uploaded (0 on a no-op redeploy). */
  uploaded: number;
}

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

/** Which stack declares an output, to say what to deploy first. */
const producerOf = (outputKey: string): StackId | undefined =>
  STACKS.find((s) => (STACK_OUTPUTS[s] as readonly string[]).includes(outputKey));

function previewFromTemplate(template: StackTemplate, name: string, note?: string): StackPreview {
  return {
    stack: template.stack,
    stackName: name,
    changeSetType: "CREATE",
    changes: changeRowsFromTemplate(template.resources),
    ...(note ? { note } : {}),
  };
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
  return { environment: env.name, region: env.region, stacks: results, artifacts, uploaded: artifacts.filter((a) => a.uploaded).length };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

interface StackStep {
  options: DeployOptions;
  id: StackId;
  name: string;
  template: StackTemplate;
  existing: Stack | undefined;
  outputs: Record<string, string>;
  published: PublishedArtifact[];
  ensureBuilt(): Promise<Map<FunctionId, Artifact>>;
  showPreview(preview: StackPreview): void;
}

async function deployStack(step: StackStep): Promise<StackResult> {
  const { options, id, name, template, outputs } = step;
  const { env, reporter, signal, execute } = options;
  const cf = options.cloudformation;
  let existing = step.existing;
  let replacing = false;
  const status = existing?.StackStatus;

  if (status === "ROLLBACK_COMPLETE" || status === "ROLLBACK_FAILED") {
    reporter.warn(
      `${name} is in ${status}: its first creation failed and was rolled back. It holds no resources and cannot be updated; it can only be deleted and created again.`,
    );
    if (!execute) {
      const preview = previewFromTemplate(template, name, `read from the template: ${name} must be replaced first`);
      step.showPreview(preview);
      return { stack: id, stackName: name, outcome: "would-create", changes: preview.changes, status, outputs: {} };
    }
    if (!(await reporter.confirm(`Delete the failed stack ${name} and create it again?`))) {
      throw new TraceError(ErrorCode.declined, `${name} was left in ${status}; nothing changed`, {
        hint: "deploy again and accept the replacement",
      });
    }
    await deleteAndWait(cf, existing as Stack, options);
    existing = undefined;
    replacing = true;
  } else if (status === "UPDATE_ROLLBACK_FAILED") {
    throw new TraceError(
      ErrorCode.conflict,
      `${name} is in UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback; it cannot be updated`,
      {
        hint: `fix what blocks the rollback (see the stack's events), run \`aws cloudformation continue-update-rollback --stack-name ${name}\` (add --resources-to-skip for resources that cannot roll back), then deploy again`,
      },
    );
  } else if (isInProgress(status)) {
    throw new TraceError(ErrorCode.conflict, `${name} is busy (${status}); another operation is running on it`, {
      hint: "wait for it to finish (`trace status`), then deploy again",
    });
  } else if (status === "DELETE_FAILED") {
    throw new TraceError(ErrorCode.conflict, `${name} is in DELETE_FAILED`, {
      hint: `run \`trace destroy ${id}\` again once the blocking resource is dealt with`,
    });
  }

  // An empty stack left by an unexecuted CREATE change set is created afresh.
  const changeSetType = existing && existing.StackStatus !== "REVIEW_IN_PROGRESS" ? "UPDATE" : "CREATE";
  const codeKeys: Record<string, string> = {};
  const functions = functionsOfTemplate(template.parameters.map((p) => p.name));
  if (functions.length > 0) {
    const artifacts = await step.ensureBuilt();
    const mine = functions.map((f) => artifacts.get(f) as Artifact);
    if (execute) {
      const bucket = outputs.ArtifactBucketName;
      if (!bucket) {
        throw new TraceError(ErrorCode.notFound, `no artifact bucket: ${stackName(env, "bootstrap")} has no ArtifactBucketName output`, {
          hint: "deploy the bootstrap stack first: `trace deploy bootstrap`",
        });
      }
      step.published.push(...(await publishArtifacts(options.s3, bucket, mine, reporter, signal)));
    }
    for (const a of mine) codeKeys[FUNCTIONS[a.function].codeKeyParameter] = a.key;
  }

  const { parameters, missing } = resolveParameters(template.parameters, { env, outputs, codeKeys });
  if (missing.length > 0) {
    const producers = [...new Set(missing.map(producerOf).filter((s): s is StackId => s !== undefined))];
    if (producers.length > 0 && !execute) {
      const preview = previewFromTemplate(
        template,
        name,
        `read from the template: needs outputs of ${producers.map((p) => stackName(env, p)).join(", ")}, not deployed yet`,
      );
      step.showPreview(preview);
      return { stack: id, stackName: name, outcome: "would-create", changes: preview.changes, status, outputs: {} };
    }
    if (producers.length > 0) {
      throw new TraceError(
        ErrorCode.notFound,
        `${name} needs ${missing.join(", ")} from ${producers.map((p) => stackName(env, p)).join(", ")}, which is not deployed`,
        {
          hint: `deploy it first: \`trace deploy ${producers.join(" ")}\``,
        },
      );
    }
    throw missingParametersError(name, template.path, missing);
  }

  const location = await templateLocation(options.s3, template, outputs.ArtifactBucketName, env.region, signal);
  const onEvent = options.hooks?.event ? (e: DeployEvent) => options.hooks?.event?.(name, e) : undefined;
  const operation = { reporter, signal, backoff: options.backoff, onEvent };

  if (changeSetType === "CREATE") {
    // A new stack: every template resource is added, so the preview comes from the template and the
    // stack is created directly (a CREATE change set shows nothing more; moto also gives stacks made
    // by one no outputs). Template and parameters are still checked by CloudFormation on creation.
    const preview = previewFromTemplate(template, name);
    step.showPreview(preview);
    if (!execute) return { stack: id, stackName: name, outcome: "would-create", changes: preview.changes, status, outputs: {} };
    if (!(await reporter.confirm(`Create ${name} with these ${preview.changes.length} resources?`, { default: true }))) {
      throw new TraceError(ErrorCode.declined, `creation of ${name} declined; nothing was created`);
    }
    // An empty stack left in REVIEW_IN_PROGRESS by an unexecuted change set blocks the name: remove it.
    if (existing?.StackStatus === "REVIEW_IN_PROGRESS") await deleteAndWait(cf, existing, options);
    const result = await runOperation(
      cf,
      name,
      undefined,
      async () => {
        const created = await cf.send(
          new CreateStackCommand({
            StackName: name,
            ...("templateBody" in location ? { TemplateBody: location.templateBody } : { TemplateURL: location.templateUrl }),
            Parameters: parameters,
            Tags: stackTags(env),
            Capabilities: CAPABILITIES,
            EnableTerminationProtection: env.protected,
            OnFailure: "ROLLBACK",
          }),
          { abortSignal: signal },
        );
        return created.StackId ?? name;
      },
      preview.changes,
      operation,
    );
    reporter.info(`${name}: ${result.stack?.StackStatus} in ${(result.ms / 1000).toFixed(1)} s`);
    return {
      stack: id,
      stackName: name,
      outcome: replacing ? "replaced" : "created",
      changes: preview.changes,
      status: result.stack?.StackStatus,
      outputs: outputsOf(result.stack),
      durationMs: result.ms,
    };
  }

  const outcome = await createChangeSet(
    cf,
    { stackName: name, type: "UPDATE", ...location, parameters, tags: stackTags(env) },
    template.resources,
    { signal, backoff: options.backoff },
  );
  if (outcome.kind === "no-changes") {
    reporter.info(`${name}: no changes`);
    if (execute) await ensureTerminationProtection(cf, existing, env.protected, reporter);
    return { stack: id, stackName: name, outcome: "no-changes", changes: [], status, outputs: outputsOf(existing) };
  }
  const changes = [...outcome.changes, ...parameterChangeRows(existing?.Parameters, parameters)];
  step.showPreview({ stack: id, stackName: name, changeSetType, changes });
  const dangerous = changes.filter((c) => c.dangerous);
  for (const c of dangerous) {
    reporter.warn(
      c.action === "Remove"
        ? `${name}: ${c.logicalId} (${c.type}) would be REMOVED; unless it is retained, its data goes with it`
        : `${name}: ${c.logicalId} (${c.type}) would be REPLACED (${c.replacement === "Conditional" ? "maybe" : "certainly"}): a new one is created and the old one deleted${c.dataBearing ? ", with its data" : ""}`,
    );
  }
  if (!execute) {
    await deleteChangeSet(cf, outcome.id);
    return { stack: id, stackName: name, outcome: "would-change", changes, status, outputs: outputsOf(existing) };
  }
  let confirmed: boolean;
  try {
    confirmed = await reporter.confirm(
      `Update ${name} with ${changes.length === 1 ? "this change" : `these ${changes.length} changes`}${dangerous.length ? ` (${dangerous.length} destructive)` : ""}?`,
      { default: dangerous.length === 0 },
    );
  } catch (error) {
    // Nobody to ask (no TTY, no --yes) or Ctrl-C at the prompt: leave nothing behind.
    await deleteChangeSet(cf, outcome.id);
    throw error;
  }
  if (!confirmed) {
    await deleteChangeSet(cf, outcome.id);
    throw new TraceError(ErrorCode.declined, `deploy of ${name} declined; ${name} was not changed`, {
      hint: "nothing else was deployed after it either",
    });
  }
  const result = await executeChangeSet(cf, name, outcome.stackId, outcome.id, changes, operation);
  reporter.info(`${name}: ${result.stack?.StackStatus} in ${(result.ms / 1000).toFixed(1)} s`);
  await ensureTerminationProtection(cf, result.stack, env.protected, reporter);
  return {
    stack: id,
    stackName: name,
    outcome: "updated",
    changes,
    status: result.stack?.StackStatus,
    outputs: outputsOf(result.stack),
    durationMs: result.ms,
  };
}

/** Termination protection follows the environment's `protected` flag (lifting it is how a protected env gets destroyed). */
async function ensureTerminationProtection(
  cf: CloudFormation,
  stack: Stack | undefined,
  wanted: boolean,
  reporter: Reporter,
): Promise<void> {
  if (!stack?.StackId || Boolean(stack.EnableTerminationProtection) === wanted) return;
  try {
    await cf.send(new UpdateTerminationProtectionCommand({ StackName: stack.StackId, EnableTerminationProtection: wanted }));
    reporter.info(`${stack.StackName}: termination protection ${wanted ? "on" : "off"}`);
  } catch (error) {
    throw toTraceError(error, `termination protection of ${stack.StackName}`);
  }
}

/** Deletes a stack and watches it go (used to replace a ROLLBACK_COMPLETE stack). */
async function deleteAndWait(cf: CloudFormation, stack: Stack, options: DeployOptions): Promise<void> {
  const id = stack.StackId ?? stack.StackName ?? "";
  await cf.send(new DeleteStackCommand({ StackName: id }), { abortSignal: options.signal });
  try {
    const { value } = await withElapsed(options.reporter, `deleting ${stack.StackName}`, () =>
      watchStack(cf, id, undefined, { signal: options.signal, backoff: options.backoff, onEvent: () => {} }),
    );
    if (value.stack && value.stack.StackStatus !== "DELETE_COMPLETE") {
      throw new TraceError(ErrorCode.failed, `could not delete ${stack.StackName}: it ended in ${value.stack.StackStatus}`, {
        hint: "see its events (`trace status`) and delete it by hand",
      });
    }
  } catch (error) {
    if (options.signal?.aborted) throw stoppedWatching(options.reporter, stack.StackName ?? id, "deletion");
    throw error;
  }
}
