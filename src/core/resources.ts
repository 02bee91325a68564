/**
 * Finds the physical names of deployed resources from the stacks' outputs, so commands never
 * guess names. Every value can be overridden (flags), which also lets tests and operators
 * point a command at resources outside the stacks.
 */
import { type CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import type { EnvironmentConfig } from "./config";
import { ErrorCode, TraceError, toTraceError } from "./errors";
import { type OutputKey, STACK_OUTPUTS, type StackId, stackName } from "./stacks";

/** Reads the outputs of one stack; undefined when the stack does not exist. */
export async function readStackOutputs(cloudformation: CloudFormationClient, name: string): Promise<Record<string, string> | undefined> {
  try {
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: name }));
    const stack = Stacks?.[0];
    if (!stack) return undefined;
    return Object.fromEntries((stack.Outputs ?? []).filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey, o.OutputValue]));
  } catch (error) {
    if ((error as Error).name === "ValidationError" && /does not exist/.test((error as Error).message)) return undefined;
    throw toTraceError(error, `stack ${name}`);
  }
}

/**
 * Resolves the named outputs, taking overrides first and reading only the stacks still needed.
 * Throws a not-found error naming the stack to deploy or the flag to pass.
 */
export async function resolveOutputs<K extends OutputKey>(
  cloudformation: CloudFormationClient,
  env: Pick<EnvironmentConfig, "stage">,
  keys: readonly K[],
  overrides: Partial<Record<K, string | undefined>> = {},
  flagFor: Partial<Record<K, string>> = {},
): Promise<Record<K, string>> {
  const result = {} as Record<K, string>;
  const missing: K[] = [];
  for (const key of keys) {
    const value = overrides[key];
    if (value) result[key] = value;
    else missing.push(key);
  }
  const stacks = new Map<StackId, Record<string, string> | undefined>();
  for (const key of missing) {
    const stack = (Object.keys(STACK_OUTPUTS) as StackId[]).find((s) => (STACK_OUTPUTS[s] as readonly string[]).includes(key));
    if (!stack) throw new TraceError(ErrorCode.failed, `no stack declares the output ${key}`);
    if (!stacks.has(stack)) stacks.set(stack, await readStackOutputs(cloudformation, stackName(env, stack)));
    const value = stacks.get(stack)?.[key];
    if (!value) {
      const flag = flagFor[key];
      throw new TraceError(ErrorCode.notFound, `cannot find ${key}: stack ${stackName(env, stack)} is not deployed or has no such output`, {
        hint: `deploy it with \`trace deploy ${stack}\`${flag ? `, or pass ${flag}` : ""} (check --env / --region)`,
      });
    }
    result[key] = value;
  }
  return result;
}
