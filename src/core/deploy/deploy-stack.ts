/**
 * One stack of a deploy or diff: check the state it is in, publish its functions' artifacts,
 * fill its parameters, then create it (new stack) or preview and apply a change set.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { ErrorCode, TraceError } from "../errors";
import { FUNCTIONS, type FunctionId, STACK_OUTPUTS, STACKS, type StackId, stackName } from "../stacks";
import { type Artifact, functionsOfTemplate, type PublishedArtifact, publishArtifacts } from "./artifacts";
import type { DeployOptions, StackPreview, StackResult } from "./deploy-types";
import type { DeployEvent } from "./events";
import { missingParametersError, resolveParameters } from "./parameters";
import { createStack, deleteAndWait, previewFromTemplate, updateStack } from "./stack-apply";
import { isInProgress } from "./stack-state";
import { templateLocation } from "./template-upload";
import type { StackTemplate } from "./templates";

/** Which stack declares an output, to say what to deploy first. */
const producerOf = (outputKey: string): StackId | undefined =>
  STACKS.find((s) => (STACK_OUTPUTS[s] as readonly string[]).includes(outputKey));

export interface StackStep {
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

/** Deploys (or previews) one stack; see deploy() for the whole run. */
export async function deployStack(step: StackStep): Promise<StackResult> {
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
      return {
        stack: id,
        stackName: name,
        outcome: "would-create",
        changes: preview.changes,
        parameters: [],
        dataLoss: [],
        status,
        outputs: {},
        note: preview.note,
      };
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
      return {
        stack: id,
        stackName: name,
        outcome: "would-create",
        changes: preview.changes,
        parameters: [],
        dataLoss: [],
        status,
        outputs: {},
        note: preview.note,
      };
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

  const apply = { step, existing, status, replacing, parameters, location, operation };
  return changeSetType === "CREATE" ? createStack(apply) : updateStack(apply);
}
