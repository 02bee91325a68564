/**
 * One stack of a deploy or diff: check the state it is in, publish its functions' artifacts,
 * fill its parameters, then create it (new stack) or preview and apply a change set.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { awsCli } from "../aws/cli-hint";
import { ErrorCode, TraceError } from "../errors";
import { FUNCTIONS, STACK_OUTPUTS, STACKS, type StackId, stackName } from "../stacks";
import { aliasVersions, reconcileAliases } from "./aliases";
import { type Artifact, functionsOfTemplate, publishArtifacts } from "./artifacts";
import type { StackResult, StackStep } from "./deploy-types";
import type { DeployEvent } from "./events";
import { importRetained } from "./import-stack";
import { environmentParameters, missingParametersError, resolveParameters } from "./parameters";
import { findRetained, type RetainedResource } from "./retained";
import { revisionParameters, versionedFunctions } from "./revisions";
import { createStack, deleteAndWait, previewFromTemplate, updateStack } from "./stack-apply";
import { stackState } from "./stack-state";
import { templateLocation } from "./template-upload";
import { parseTemplateDocument } from "./template-values";
import { pseudoParameters } from "./update-guard";

/** Which stack declares an output, to say what to deploy first. */
const producerOf = (outputKey: string): StackId | undefined =>
  STACKS.find((s) => (STACK_OUTPUTS[s] as readonly string[]).includes(outputKey));

/** Deploys (or previews) one stack; see deploy() for the whole run. */
export async function deployStack(step: StackStep): Promise<StackResult> {
  const { options, id, name, template, outputs } = step;
  const { env, reporter, signal, execute } = options;
  const status = step.existing?.StackStatus;
  const settled = await settleState(step);
  if ("preview" in settled) return settled.preview;
  const { existing, replacing } = settled;

  const { codeKeys, artifacts } = await publishCode(step);
  const known = { ...outputs, ...environmentParameters(env), ...codeKeys };
  const declared = template.parameters.map((p) => p.name);
  const revisions = revisionParameters(template.body, declared, artifacts, known);
  const { parameters, missing } = resolveParameters(template.parameters, { env, outputs, codeKeys: { ...codeKeys, ...revisions } });
  if (missing.length > 0) return unmetParameters(step, missing);
  const versioned = versionedTargets(step, { ...known, ...revisions }, revisions);
  const before = versioned.length > 0 && options.lambda ? await aliasVersions(options.lambda, versioned, signal) : {};

  const location = await templateLocation(options.s3, template, outputs.ArtifactBucketName, env.region, signal);
  const onEvent = options.hooks?.event ? (e: DeployEvent) => options.hooks?.event?.(name, e) : undefined;
  const apply = {
    cf: options.cloudformation,
    env,
    id,
    name,
    template,
    status,
    parameters,
    location,
    execute,
    reporter,
    signal,
    backoff: options.backoff,
    onEvent,
    showPreview: step.showPreview,
  };
  const allowReplacement = options.allowReplacement ?? [];
  let result: StackResult;
  if (stackState(existing?.StackStatus) !== "absent") {
    result = await updateStack({ ...apply, existing: existing as Stack, allowReplacement });
  } else {
    // Retained resources of a destroyed stack are imported first (on AWS), then the stack completed;
    // an empty stack left by an unexecuted CREATE change set is removed first either way.
    const retained = await retainedOf(step, { ...known, ...revisions });
    if (retained.length > 0 && existing) await deleteAndWait(options.cloudformation, existing, options);
    const imported = retained.length > 0 ? await importRetained({ ...apply, existing: undefined, replacing }, retained) : undefined;
    result = imported
      ? { ...(await updateStack({ ...apply, existing: imported, allowReplacement })), outcome: "created" }
      : await createStack({ ...apply, existing, replacing });
  }
  if (versioned.length === 0 || !options.lambda) return result;
  return { ...result, aliases: await reconcileAliases(options.lambda, versioned, before, reporter, signal) };
}

/**
 * The retained resources (tables, buckets, key) of a stack about to be created, to import: only
 * when deploying to AWS itself (the emulator cannot import: docs/deploy.md) with the clients to look.
 */
async function retainedOf(step: StackStep, values: Record<string, string>): Promise<RetainedResource[]> {
  const { options } = step;
  if (!options.execute || !options.dynamodb || options.env.endpointUrl) return [];
  const account = await options.accountId?.();
  const pseudo = { ...pseudoParameters(step.name, step.name, options.env.region), ...(account ? { "AWS::AccountId": account } : {}) };
  const evaluation = { parameters: values, pseudo };
  return findRetained(
    { dynamodb: options.dynamodb, s3: options.s3 },
    parseTemplateDocument(step.template.body),
    evaluation,
    options.signal,
  );
}

/** The stack's versioned functions, with the revision this run deploys (only when deploying with a Lambda client). */
function versionedTargets(step: StackStep, values: Record<string, string>, revisions: Record<string, string>) {
  if (!step.options.execute || !step.options.lambda) return [];
  return versionedFunctions(parseTemplateDocument(step.template.body), values)
    .filter((f) => revisions[f.revisionParameter] !== undefined)
    .map((f) => ({ ...f, revision: revisions[f.revisionParameter] as string }));
}

/** The would-create result of a preview read from the template, shown as it goes. */
function previewOnly(step: StackStep, note: string): StackResult {
  const preview = previewFromTemplate(step.template, step.name, note);
  step.showPreview(preview);
  return {
    stack: step.id,
    stackName: step.name,
    outcome: "would-create",
    changes: preview.changes,
    parameters: [],
    dataLoss: [],
    status: step.existing?.StackStatus,
    outputs: {},
    note: preview.note,
  };
}

/**
 * Deals with the state the stack is in before anything is published: a failed first creation is
 * deleted (once confirmed) so the stack is created again; a busy or stuck stack is refused.
 */
async function settleState(step: StackStep): Promise<{ existing: Stack | undefined; replacing: boolean } | { preview: StackResult }> {
  const { options, id, name, existing } = step;
  const { reporter, execute } = options;
  const status = existing?.StackStatus;
  switch (stackState(status)) {
    case "creation-failed": {
      reporter.warn(
        `${name} is in ${status}: its first creation failed and was rolled back. It holds no resources and cannot be updated; it can only be deleted and created again.`,
      );
      if (!execute) return { preview: previewOnly(step, `read from the template: ${name} must be replaced first`) };
      if (!(await reporter.confirm(`Delete the failed stack ${name} and create it again?`))) {
        throw new TraceError(ErrorCode.declined, `${name} was left in ${status}; nothing changed`, {
          hint: "deploy again and accept the replacement",
        });
      }
      await deleteAndWait(options.cloudformation, existing as Stack, options);
      return { existing: undefined, replacing: true };
    }
    case "busy":
      throw new TraceError(ErrorCode.conflict, `${name} is busy (${status}); another operation is running on it`, {
        hint: "wait for it to finish (`trace status`), then deploy again",
      });
    case "stuck":
      if (status === "DELETE_FAILED") {
        throw new TraceError(ErrorCode.conflict, `${name} is in DELETE_FAILED`, {
          hint: `run \`trace destroy ${id}\` again once the blocking resource is dealt with`,
        });
      }
      throw new TraceError(
        ErrorCode.conflict,
        `${name} is in UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback; it cannot be updated`,
        {
          hint: `fix what blocks the rollback (see the stack's events), run \`${awsCli(options.env, `cloudformation continue-update-rollback --stack-name ${name}`)}\` (add --resources-to-skip for resources that cannot roll back), then deploy again`,
        },
      );
    default:
      return { existing, replacing: false };
  }
}

/** Bundles the stack's functions (once per run) and, when deploying, publishes them; returns the code-key parameters and the artifacts. */
async function publishCode(step: StackStep): Promise<{ codeKeys: Record<string, string>; artifacts: Artifact[] }> {
  const { options, template, outputs } = step;
  const { env, reporter, signal, execute } = options;
  const codeKeys: Record<string, string> = {};
  const functions = functionsOfTemplate(template.parameters.map((p) => p.name));
  if (functions.length === 0) return { codeKeys, artifacts: [] };
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
  return { codeKeys, artifacts: mine };
}

/**
 * Parameters with no value: outputs of a stack not deployed yet make a preview read from the
 * template (diff) or a not-found error naming the stack to deploy first (deploy); anything else
 * is a configuration error.
 */
function unmetParameters(step: StackStep, missing: readonly string[]): StackResult {
  const { options, name, template } = step;
  const { env, execute } = options;
  const producers = [...new Set(missing.map(producerOf).filter((s): s is StackId => s !== undefined))];
  const deployed = producers.map((p) => stackName(env, p)).join(", ");
  if (producers.length > 0 && !execute) {
    return previewOnly(step, `read from the template: needs outputs of ${deployed}, not deployed yet`);
  }
  if (producers.length > 0) {
    throw new TraceError(ErrorCode.notFound, `${name} needs ${missing.join(", ")} from ${deployed}, which is not deployed`, {
      hint: `deploy it first: \`trace deploy ${producers.join(" ")}\``,
    });
  }
  throw missingParametersError(name, template.path, missing);
}
