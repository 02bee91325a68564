/** Reading a stack's current state and classifying CloudFormation stack statuses. */
import { type CloudFormationClient, DescribeStacksCommand, type Stack } from "@aws-sdk/client-cloudformation";
import { toTraceError } from "../errors";

export type CloudFormation = Pick<CloudFormationClient, "send">;

/** The stack, or undefined when it does not exist (CloudFormation says so with a ValidationError). */
export async function describeStack(cf: CloudFormation, nameOrId: string, signal?: AbortSignal): Promise<Stack | undefined> {
  try {
    const result = await cf.send(new DescribeStacksCommand({ StackName: nameOrId }), { abortSignal: signal });
    const stack = result.Stacks?.[0];
    return stack?.StackStatus === "DELETE_COMPLETE" && !nameOrId.startsWith("arn:") ? undefined : stack;
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === "ValidationError" && /does not exist/i.test(e.message ?? "")) return undefined;
    throw toTraceError(error, `stack ${nameOrId}`);
  }
}

/** The stack's outputs as a plain record. */
export function outputsOf(stack: Stack | undefined): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const o of stack?.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return outputs;
}

export const isInProgress = (status: string | undefined): boolean =>
  Boolean(status?.endsWith("_IN_PROGRESS")) && status !== "REVIEW_IN_PROGRESS";

/** A status that ends an operation successfully. */
export const isSuccess = (status: string | undefined): boolean =>
  status === "CREATE_COMPLETE" || status === "UPDATE_COMPLETE" || status === "DELETE_COMPLETE" || status === "IMPORT_COMPLETE";

/** A resource or stack status that means something failed. */
export const isFailedStatus = (status: string | undefined): boolean => Boolean(status?.endsWith("_FAILED"));

/** Polling delays: start fast (most emulator and small-stack operations finish in a second), back off to a ceiling. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}
export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 5000, factor: 1.5 };
export const nextDelay = (current: number, backoff: Backoff): number => Math.min(backoff.maxMs, Math.round(current * backoff.factor));
