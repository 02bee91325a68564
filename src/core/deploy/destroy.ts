/**
 * `trace destroy`: deletes stacks in reverse deploy order after the operator types the
 * environment's name, and reports the data-bearing resources CloudFormation keeps
 * (DeletionPolicy Retain: tables, buckets, keys).
 */
import {
  DeleteStackCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type Stack,
  type StackResourceSummary,
  type StackStatus,
} from "@aws-sdk/client-cloudformation";
import type { ResolvedEnvironment } from "../config";
import { ErrorCode, TraceError, toTraceError, unparsedResponse } from "../errors";
import type { Reporter } from "../reporter";
import { STACKS, type StackId, stackName, stackRegion, stacksOf } from "../stacks";
import { type DeployEvent, formatEvent, latestEventId, watchStack } from "./events";
import { stoppedWatching, withElapsed } from "./execute";
import { type Backoff, type CloudFormation, describeStack, outputsOf } from "./stack-state";
import { DATA_BEARING_TYPES, parseTemplate } from "./templates";

export interface RetainedResource {
  stackName: string;
  logicalId: string;
  type: string;
  physicalId: string;
}

export interface DestroyResult {
  environment: string;
  stacks: { stack: StackId; stackName: string; outcome: "deleted" | "not-deployed" }[];
  retained: RetainedResource[];
  /** What `removeLeftovers` deleted after the stacks (local mode: the emulator's leftovers). */
  removed: RetainedResource[];
}

export interface DestroyOptions {
  env: ResolvedEnvironment;
  cloudformation: CloudFormation;
  /** CloudFormation in another region (the DR stack's); without it the DR stack is left alone. */
  cloudformationIn?: (region: string) => CloudFormation;
  /** Stacks asked for; empty means every stage stack (bootstrap is shared by stages and kept unless named). */
  stacks: readonly StackId[];
  reporter: Reporter;
  signal?: AbortSignal;
  backoff?: Backoff;
  onEvent?(stackName: string, event: DeployEvent): void;
  /**
   * Called after each stack is deleted with every resource it held (listed before the deletion);
   * returns those it deleted. Local mode removes what the emulator leaves behind with it, so a
   * deploy can follow (src/local/leftovers.ts); on AWS it is not given and retained data stays.
   */
  removeLeftovers?(stackName: string, resources: readonly RetainedResource[]): Promise<RetainedResource[]>;
}

async function listResources(cf: CloudFormation, stackId: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  let token: string | undefined;
  do {
    const page = await cf.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: token }));
    all.push(...(page.StackResourceSummaries ?? []));
    token = page.NextToken;
  } while (token);
  return all;
}

/**
 * Every resource of the stack, and those that outlive it: DeletionPolicy Retain in its deployed
 * template (data-bearing types first).
 */
async function stackResources(
  cf: CloudFormation,
  name: string,
  stack: Stack,
): Promise<{ all: RetainedResource[]; retained: RetainedResource[] }> {
  const stackId = stack.StackId ?? name;
  // moto records some resources (an EventBus) with no physical id; our templates name each such
  // resource in an output `<LogicalId>Name` (ArchiveBus → ArchiveBusName).
  const outputs = outputsOf(stack);
  const template = await cf.send(new GetTemplateCommand({ StackName: stackId, TemplateStage: "Original" }));
  const { resources } = parseTemplate(template.TemplateBody ?? "{}", name);
  const retain = new Set(
    resources.filter((r) => r.deletionPolicy === "Retain" || r.deletionPolicy === "RetainExceptOnCreate").map((r) => r.logicalId),
  );
  const all = (await listResources(cf, stackId))
    .map((r) => ({
      stackName: name,
      logicalId: r.LogicalResourceId ?? "",
      type: r.ResourceType ?? "",
      physicalId: r.PhysicalResourceId || (outputs[`${r.LogicalResourceId}Name`] ?? ""),
    }))
    .filter((r) => r.physicalId !== "");
  const retained = all
    .filter((r) => retain.has(r.logicalId))
    .sort((a, b) => Number(DATA_BEARING_TYPES.has(b.type)) - Number(DATA_BEARING_TYPES.has(a.type)));
  return { all, retained };
}

/** Not a CloudFormation status: the stand-in's, shown as `trace status` shows an unreadable stack. */
const UNREADABLE = "UNKNOWN" as StackStatus;

/** The stack, or for one the service cannot describe (an emulator's half-created stack) a stand-in in status UNKNOWN. */
async function describeOrUnknown(cf: CloudFormation, name: string, signal?: AbortSignal): Promise<Stack | undefined> {
  try {
    return await describeStack(cf, name, signal);
  } catch (error) {
    if (!(error instanceof TraceError) || unparsedResponse(error.cause) === undefined) throw error;
    return { StackName: name, StackId: name, StackStatus: UNREADABLE, StackStatusReason: error.message, CreationTime: undefined };
  }
}

/**
 * Deletes the chosen stacks in reverse order. Refuses for a protected environment (its
 * stacks carry termination protection: set `protected: false`, deploy, then destroy).
 */
export async function destroy(options: DestroyOptions): Promise<DestroyResult> {
  const { env, reporter, signal } = options;
  const own = stacksOf(env).filter((s) => stackRegion(env, s) === env.region || options.cloudformationIn);
  const chosen = options.stacks.length === 0 ? own.filter((s) => s !== "bootstrap") : options.stacks;
  const order = [...STACKS].reverse().filter((s) => chosen.includes(s) && own.includes(s));
  if (env.protected) {
    throw new TraceError(ErrorCode.usage, `environment "${env.name}" is protected; trace will not destroy it`, {
      hint: `set \`protected: false\` for "${env.name}" in the config file, run \`trace deploy\` (it lifts termination protection), then destroy`,
    });
  }
  const present: { id: StackId; stack: Stack }[] = [];
  for (const id of order) {
    const stack = await describeOrUnknown(cloudFormationFor(options, id), stackName(env, id), signal);
    if (stack) present.push({ id, stack });
  }
  const result: DestroyResult = { environment: env.name, stacks: [], retained: [], removed: [] };
  const absent = order.filter((id) => !present.some((p) => p.id === id));
  for (const id of absent) result.stacks.push({ stack: id, stackName: stackName(env, id), outcome: "not-deployed" });
  if (present.length === 0) {
    reporter.info(`nothing to destroy: none of ${order.map((id) => stackName(env, id)).join(", ")} is deployed`);
    return result;
  }
  const protectedStacks = present.filter((p) => p.stack.EnableTerminationProtection);
  if (protectedStacks.length > 0) {
    throw new TraceError(
      ErrorCode.conflict,
      `termination protection is on for ${protectedStacks.map((p) => p.stack.StackName).join(", ")}`,
      {
        hint: `the environment was protected: run \`trace deploy\` with \`protected: false\` for "${env.name}" to lift it, then destroy`,
      },
    );
  }
  reporter.info(`will delete, in this order: ${present.map((p) => p.stack.StackName).join(", ")}`);
  const confirmed = await reporter.confirm(
    `Delete ${present.length} stack${present.length === 1 ? "" : "s"} of environment "${env.name}" (${env.region})?`,
    {
      typeToConfirm: env.name,
    },
  );
  if (!confirmed) throw new TraceError(ErrorCode.declined, "destroy declined; nothing was deleted");

  for (const { id, stack } of present) {
    const name = stack.StackName ?? stackName(env, id);
    const { all, retained } = await deleteStack({ ...options, cloudformation: cloudFormationFor(options, id) }, name, stack);
    reporter.info(`${name}: deleted`);
    result.stacks.push({ stack: id, stackName: name, outcome: "deleted" });
    const removed = options.removeLeftovers ? await options.removeLeftovers(name, all) : [];
    result.removed.push(...removed);
    // The caller lists the retained resources once (a table, or --json).
    result.retained.push(...retained.filter((r) => !removed.some((x) => x.logicalId === r.logicalId && x.stackName === r.stackName)));
  }
  return result;
}

function cloudFormationFor(options: DestroyOptions, id: StackId): CloudFormation {
  const region = stackRegion(options.env, id);
  return region === options.env.region || !options.cloudformationIn ? options.cloudformation : options.cloudformationIn(region);
}

/** Deletes one stack and watches it go; returns its retained resources (listed before the deletion). */
async function deleteStack(
  options: DestroyOptions,
  name: string,
  stack: Stack,
): Promise<{ all: RetainedResource[]; retained: RetainedResource[] }> {
  const { reporter, signal } = options;
  const cf = options.cloudformation;
  const stackId = stack.StackId ?? name;
  let resources: { all: RetainedResource[]; retained: RetainedResource[] } = { all: [], retained: [] };
  try {
    resources = await stackResources(cf, name, stack);
  } catch (error) {
    reporter.warn(`could not read the retained resources of ${name}: ${toTraceError(error).message}`);
  }
  const afterId = stack.StackStatus === UNREADABLE ? undefined : await latestEventId(cf, stackId, signal);
  try {
    await cf.send(new DeleteStackCommand({ StackName: stackId }), { abortSignal: signal });
  } catch (error) {
    // moto answers DeleteStack on a half-created stack with the error that broke it, yet deletes
    // it: what counts is whether the stack is gone.
    if (unparsedResponse(error) === undefined || (await describeOrUnknown(cf, name, signal)) !== undefined)
      throw toTraceError(error, `deleting ${name}`);
    return resources;
  }
  try {
    const { value } = await withElapsed(reporter, `deleting ${name}`, (setStatus) =>
      watchStack(cf, stackId, afterId, {
        signal,
        backoff: options.backoff,
        onEvent: (e) => (options.onEvent ? options.onEvent(name, e) : reporter.info(`  ${formatEvent(e)}`)),
        onPoll: (s) => setStatus(s?.StackStatus ?? ""),
      }),
    );
    const status = value.stack?.StackStatus ?? "DELETE_COMPLETE";
    if (status !== "DELETE_COMPLETE") {
      const f = value.firstFailure;
      throw new TraceError(
        ErrorCode.failed,
        `deleting ${name} failed${f ? `: ${f.logicalId} (${f.type}) ${f.reason}` : ""}; the stack is in ${status}`,
        {
          hint: "deal with the resource named above (e.g. empty a bucket), then run `trace destroy` again",
        },
      );
    }
  } catch (error) {
    if (signal?.aborted) throw stoppedWatching(reporter, name, "deletion");
    throw error;
  }
  return resources;
}
