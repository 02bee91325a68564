/**
 * Stack policies for the stacks that hold data: CloudFormation itself refuses to replace or
 * delete their tables, buckets and key during an update, whatever the template says (a second
 * line behind deploy's own refusal, and one that also holds for updates made outside trace).
 * See "Prevent updates to stack resources" in the CloudFormation User Guide.
 */
import { GetStackPolicyCommand, SetStackPolicyCommand } from "@aws-sdk/client-cloudformation";
import { toTraceError } from "../errors";
import type { CloudFormation } from "./stack-state";
import type { TemplateResource } from "./templates";

/** The resource types a stack policy protects from Update:Replace and Update:Delete. */
export const POLICY_PROTECTED_TYPES = ["AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket", "AWS::KMS::Key"] as const;

/** Whether a stack holds data: it declares a table, a bucket or a key. */
export function holdsData(resources: readonly TemplateResource[]): boolean {
  return resources.some((r) => (POLICY_PROTECTED_TYPES as readonly string[]).includes(r.type));
}

/**
 * The policy: every update allowed, except replacing or deleting a resource of a protected type.
 * `allowed` logical ids (from `--allow-replacement`) are left out of the deny, for one update.
 */
export function stackPolicyBody(allowed: readonly string[] = []): string {
  const deny: Record<string, unknown> = {
    Effect: "Deny",
    Principal: "*",
    Action: ["Update:Replace", "Update:Delete"],
    ...(allowed.length > 0 ? { NotResource: allowed.map((id) => `LogicalResourceId/${id}`) } : { Resource: "*" }),
    Condition: { StringEquals: { ResourceType: [...POLICY_PROTECTED_TYPES] } },
  };
  return JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "Update:*", Resource: "*" }, deny] });
}

const normalise = (body: string | undefined): string | undefined => {
  if (!body) return undefined;
  try {
    return JSON.stringify(JSON.parse(body));
  } catch {
    return body;
  }
};

/** Sets the stack's policy to `body` unless it already is; returns whether a call was made. */
export async function ensureStackPolicy(cf: CloudFormation, stackId: string, body: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const current = await cf.send(new GetStackPolicyCommand({ StackName: stackId }), { abortSignal: signal });
    if (normalise(current.StackPolicyBody) === normalise(body)) return false;
    await cf.send(new SetStackPolicyCommand({ StackName: stackId, StackPolicyBody: body }), { abortSignal: signal });
    return true;
  } catch (error) {
    throw toTraceError(error, `stack policy of ${stackId}`);
  }
}
