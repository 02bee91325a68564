/**
 * Applying one stack: a new stack is previewed from its template and created; an existing one gets
 * an UPDATE change set, shown, confirmed and executed (or deleted, for a preview).
 */
import {
  CreateStackCommand,
  DeleteStackCommand,
  type Parameter,
  type Stack,
  UpdateTerminationProtectionCommand,
} from "@aws-sdk/client-cloudformation";
import type { ResolvedEnvironment } from "../config";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import type { StackId } from "../stacks";
import {
  CAPABILITIES,
  type ChangeRow,
  changeRowsFromTemplate,
  createChangeSet,
  deleteChangeSet,
  parameterChangeRows,
  parameterChanges,
} from "./change-sets";
import type { StackPreview, StackResult } from "./deploy-types";
import { type DeployEvent, watchStack } from "./events";
import { type ExecuteOptions, executeChangeSet, runOperation, stoppedWatching, withElapsed } from "./execute";
import { stackTags } from "./parameters";
import { type DataLossChange, dataLossError, describeDataLoss } from "./replacements";
import { ensureStackPolicy, holdsData, stackPolicyBody } from "./stack-policy";
import { type Backoff, type CloudFormation, outputsOf } from "./stack-state";
import type { TemplateLocation } from "./template-upload";
import type { StackTemplate } from "./templates";
import { isUnavailable } from "./unavailable";
import { guardUpdate } from "./update-guard";

/** A preview for a stack that does not exist yet: every template resource is added. */
export function previewFromTemplate(template: StackTemplate, name: string, note?: string): StackPreview {
  return {
    stack: template.stack,
    stackName: name,
    changeSetType: "CREATE",
    changes: changeRowsFromTemplate(template.resources),
    ...(note ? { note } : {}),
  };
}

/** What applying one stack takes, stack and run settings side by side. */
interface ApplyStack {
  cf: CloudFormation;
  env: ResolvedEnvironment;
  id: StackId;
  name: string;
  template: StackTemplate;
  /** The stack's status before this run (reported when nothing is done). */
  status: string | undefined;
  parameters: Parameter[];
  location: TemplateLocation;
  /** false: preview only. */
  execute: boolean;
  reporter: Reporter;
  signal?: AbortSignal;
  backoff?: Backoff;
  onEvent?(event: DeployEvent): void;
  showPreview(preview: StackPreview): void;
}

export interface CreateStackArgs extends ApplyStack {
  /** An empty stack left in REVIEW_IN_PROGRESS by an unexecuted change set, removed first. */
  existing: Stack | undefined;
  /** The stack replaces one left in ROLLBACK_COMPLETE. */
  replacing: boolean;
}

export interface UpdateStackArgs extends ApplyStack {
  existing: Stack;
  /** Logical ids whose replacement or removal is let through; others are refused. */
  allowReplacement: readonly string[];
}

/** A new stack: preview from the template, confirm, CreateStack, watch. */
export async function createStack(args: CreateStackArgs): Promise<StackResult> {
  const { cf, env, id, name, template, existing, parameters, location, reporter, signal } = args;
  // A new stack: every template resource is added, so the preview comes from the template and the
  // stack is created directly (a CREATE change set shows nothing more; moto also gives stacks made
  // by one no outputs). Template and parameters are still checked by CloudFormation on creation.
  const preview = previewFromTemplate(template, name);
  args.showPreview(preview);
  const base = { stack: id, stackName: name, changes: preview.changes, parameters: [], dataLoss: [] };
  if (!args.execute) return { ...base, outcome: "would-create", status: args.status, outputs: {} };
  if (!(await reporter.confirm(`Create ${name} with these ${preview.changes.length} resources?`, { default: false }))) {
    throw new TraceError(ErrorCode.declined, `creation of ${name} declined; nothing was created`);
  }
  // An empty stack left in REVIEW_IN_PROGRESS by an unexecuted change set blocks the name: remove it.
  if (existing) await deleteAndWait(cf, existing, args);
  const create = new CreateStackCommand({
    StackName: name,
    ...("templateBody" in location ? { TemplateBody: location.templateBody } : { TemplateURL: location.templateUrl }),
    Parameters: parameters,
    Tags: stackTags(env),
    Capabilities: CAPABILITIES,
    EnableTerminationProtection: env.protected,
    ...(holdsData(template.resources) ? { StackPolicyBody: stackPolicyBody() } : {}),
    OnFailure: "ROLLBACK",
  });
  const result = await runOperation(
    cf,
    name,
    undefined,
    async () => (await cf.send(create, { abortSignal: signal })).StackId ?? name,
    preview.changes,
    operationOf(args),
  );
  reporter.info(`${name}: ${result.stack?.StackStatus} in ${(result.ms / 1000).toFixed(1)} s`);
  return {
    ...base,
    outcome: args.replacing ? "replaced" : "created",
    status: result.stack?.StackStatus,
    outputs: outputsOf(result.stack),
    durationMs: result.ms,
  };
}

const operationOf = (args: ApplyStack): ExecuteOptions => ({
  reporter: args.reporter,
  signal: args.signal,
  backoff: args.backoff,
  onEvent: args.onEvent,
});

/** An existing stack: UPDATE change set, shown; then deleted (preview) or confirmed and executed. */
export async function updateStack(args: UpdateStackArgs): Promise<StackResult> {
  const { cf, env, id, name, template, existing, status, parameters, location, reporter, signal, execute } = args;
  const outcome = await createChangeSet(
    cf,
    { stackName: name, type: "UPDATE", ...location, parameters, tags: stackTags(env) },
    template.resources,
    { signal, backoff: args.backoff },
  );
  const guarded = holdsData(template.resources);
  if (outcome.kind === "no-changes") {
    // A preview (`trace diff`) shows "no changes" once, in its result on stdout.
    if (execute) reporter.info(`${name}: no changes`);
    if (execute) {
      await ensureTerminationProtection(cf, existing, env.protected, reporter);
      if (guarded && existing.StackId && (await ensureStackPolicy(cf, existing.StackId, stackPolicyBody(), signal))) {
        reporter.info(`${name}: stack policy set (no replacing or deleting its tables, buckets or key)`);
      }
    }
    return {
      stack: id,
      stackName: name,
      outcome: "no-changes",
      changes: [],
      parameters: [],
      dataLoss: [],
      status,
      outputs: outputsOf(existing),
    };
  }
  const allow = new Set(args.allowReplacement);
  const guard = await guardUpdate(cf, existing, template, parameters, outcome.changes, allow, env.region, signal);
  const { dataLoss } = guard;
  const changes = [...guard.changes, ...parameterChangeRows(existing.Parameters, parameters)];
  const base = { stack: id, stackName: name, changes, parameters: parameterChanges(existing.Parameters, parameters), dataLoss };
  args.showPreview({ stack: id, stackName: name, changeSetType: "UPDATE", changes });
  warnDestructive(reporter, name, changes, dataLoss);
  const blocked = dataLoss.filter((d) => !d.allowed);
  if (!execute) {
    await deleteChangeSet(cf, outcome.id);
    return { ...base, outcome: "would-change", status, outputs: outputsOf(existing) };
  }
  if (blocked.length > 0) {
    await deleteChangeSet(cf, outcome.id);
    throw dataLossError(name, blocked);
  }
  await confirmUpdate(cf, reporter, name, changes, outcome.id);
  // The stack policy protects the data during the update; an allowed replacement is let through it for this update only.
  const allowedNow = dataLoss.filter((d) => d.allowed).map((d) => d.logicalId);
  if (guarded) await ensureStackPolicy(cf, outcome.stackId, stackPolicyBody(allowedNow), signal);
  const result = await executeChangeSet(cf, name, outcome.stackId, outcome.id, changes, operationOf(args));
  reporter.info(`${name}: ${result.stack?.StackStatus} in ${(result.ms / 1000).toFixed(1)} s`);
  if (guarded && allowedNow.length > 0) await ensureStackPolicy(cf, outcome.stackId, stackPolicyBody(), signal);
  await ensureTerminationProtection(cf, result.stack, env.protected, reporter);
  return { ...base, outcome: "updated", status: result.stack?.StackStatus, outputs: outputsOf(result.stack), durationMs: result.ms };
}

/** A warning per replacement or removal: data loss says whether --allow-replacement lets it through. */
function warnDestructive(reporter: Reporter, name: string, changes: readonly ChangeRow[], dataLoss: readonly DataLossChange[]): void {
  const lossIds = new Set(dataLoss.map((d) => d.logicalId));
  for (const c of changes.filter((c) => c.dangerous && !lossIds.has(c.logicalId))) {
    reporter.warn(
      c.action === "Remove"
        ? `${name}: ${c.logicalId} (${c.type}) would be REMOVED; unless it is retained, its data goes with it`
        : `${name}: ${c.logicalId} (${c.type}) would be REPLACED (${c.replacement === "Conditional" ? "maybe" : "certainly"}): a new one is created and the old one deleted${c.dataBearing ? ", with its data" : ""}`,
    );
  }
  for (const d of dataLoss) {
    reporter.warn(`${name}: ${describeDataLoss(d)}${d.allowed ? " — allowed by --allow-replacement" : " — deploy refuses this"}`);
  }
}

/** Asks before executing; a declined, unanswerable or interrupted question deletes the change set. */
async function confirmUpdate(
  cf: CloudFormation,
  reporter: Reporter,
  name: string,
  changes: readonly ChangeRow[],
  changeSetId: string,
): Promise<void> {
  const dangerous = changes.filter((c) => c.dangerous);
  let confirmed: boolean;
  try {
    confirmed = await reporter.confirm(
      `Update ${name} with ${changes.length === 1 ? "this change" : `these ${changes.length} changes`}${dangerous.length ? ` (${dangerous.length} destructive)` : ""}?`,
      // Infrastructure changes default to No, as SAM's `deploy --confirm-changeset` does.
      { default: false },
    );
  } catch (error) {
    // Nobody to ask (no TTY, no --yes) or Ctrl-C at the prompt: leave nothing behind.
    await deleteChangeSet(cf, changeSetId);
    throw error;
  }
  if (!confirmed) {
    await deleteChangeSet(cf, changeSetId);
    throw new TraceError(ErrorCode.declined, `deploy of ${name} declined; ${name} was not changed`, {
      hint: "nothing else was deployed after it either",
    });
  }
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
    if (isUnavailable(error)) {
      reporter.warn(
        `${stack.StackName}: the endpoint does not implement UpdateTerminationProtection (the local emulator); termination protection left ${wanted ? "off" : "on"}`,
      );
      return;
    }
    throw toTraceError(error, `termination protection of ${stack.StackName}`);
  }
}

/** Deletes a stack and watches it go (used to replace a ROLLBACK_COMPLETE stack). */
export async function deleteAndWait(
  cf: CloudFormation,
  stack: Stack,
  options: Pick<ExecuteOptions, "reporter" | "signal" | "backoff">,
): Promise<void> {
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
