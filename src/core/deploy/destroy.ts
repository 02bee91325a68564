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
} from "@aws-sdk/client-cloudformation";
import type { ResolvedEnvironment } from "../config";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import { STACKS, type StackId, stackName, stackRegion, stacksOf } from "../stacks";
import { type DeployEvent, formatEvent, latestEventId, watchStack } from "./events";
import { stoppedWatching, withElapsed } from "./execute";
import { type Backoff, type CloudFormation, describeStack } from "./stack-state";
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

/** The resources that outlive the stack: DeletionPolicy Retain in its deployed template, or data-bearing types marked so. */
async function retainedResources(cf: CloudFormation, name: string, stackId: string): Promise<RetainedResource[]> {
  const template = await cf.send(new GetTemplateCommand({ StackName: stackId, TemplateStage: "Original" }));
  const { resources } = parseTemplate(template.TemplateBody ?? "{}", name);
  const retain = new Set(
    resources.filter((r) => r.deletionPolicy === "Retain" || r.deletionPolicy === "RetainExceptOnCreate").map((r) => r.logicalId),
  );
  return (await listResources(cf, stackId))
    .filter((r) => retain.has(r.LogicalResourceId ?? "") && r.PhysicalResourceId)
    .map((r) => ({
      stackName: name,
      logicalId: r.LogicalResourceId ?? "",
      type: r.ResourceType ?? "",
      physicalId: r.PhysicalResourceId ?? "",
    }))
    .sort((a, b) => Number(DATA_BEARING_TYPES.has(b.type)) - Number(DATA_BEARING_TYPES.has(a.type)));
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
    const stack = await describeStack(cloudFormationFor(options, id), stackName(env, id), signal);
    if (stack) present.push({ id, stack });
  }
  const result: DestroyResult = { environment: env.name, stacks: [], retained: [] };
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
    const retained = await deleteStack({ ...options, cloudformation: cloudFormationFor(options, id) }, name, stack);
    reporter.info(`${name}: deleted`);
    result.stacks.push({ stack: id, stackName: name, outcome: "deleted" });
    result.retained.push(...retained);
  }
  for (const r of result.retained)
    reporter.info(`retained (still exists, delete by hand if unwanted): ${r.type} ${r.physicalId} from ${r.stackName}`);
  return result;
}

function cloudFormationFor(options: DestroyOptions, id: StackId): CloudFormation {
  const region = stackRegion(options.env, id);
  return region === options.env.region || !options.cloudformationIn ? options.cloudformation : options.cloudformationIn(region);
}

/** Deletes one stack and watches it go; returns its retained resources (listed before the deletion). */
async function deleteStack(options: DestroyOptions, name: string, stack: Stack): Promise<RetainedResource[]> {
  const { reporter, signal } = options;
  const cf = options.cloudformation;
  const stackId = stack.StackId ?? name;
  let retained: RetainedResource[] = [];
  try {
    retained = await retainedResources(cf, name, stackId);
  } catch (error) {
    reporter.warn(`could not read the retained resources of ${name}: ${toTraceError(error).message}`);
  }
  const afterId = await latestEventId(cf, stackId, signal);
  try {
    await cf.send(new DeleteStackCommand({ StackName: stackId }), { abortSignal: signal });
  } catch (error) {
    throw toTraceError(error, `deleting ${name}`);
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
  return retained;
}
