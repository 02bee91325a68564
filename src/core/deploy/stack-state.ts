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

/**
 * What a stack's status means for the next operation on it:
 * - `absent`: no stack, or an empty one left in REVIEW_IN_PROGRESS by an unexecuted CREATE change
 *   set (it holds no resources; a deploy creates the stack afresh);
 * - `creation-failed`: ROLLBACK_COMPLETE or ROLLBACK_FAILED, the first creation failed and was
 *   rolled back; it cannot be updated, only deleted and created again;
 * - `busy`: another operation is running on it (`*_IN_PROGRESS`);
 * - `stuck`: UPDATE_ROLLBACK_FAILED or DELETE_FAILED, something must be dealt with by hand first;
 * - `ready`: anything else (CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, ...).
 */
export type StackState = "absent" | "creation-failed" | "busy" | "stuck" | "ready";

/** Classifies a stack status (undefined: no stack); see StackState. */
export function stackState(status: string | undefined): StackState {
  if (status === undefined || status === "REVIEW_IN_PROGRESS" || status === "DELETE_COMPLETE") return "absent";
  if (status === "ROLLBACK_COMPLETE" || status === "ROLLBACK_FAILED") return "creation-failed";
  if (status.endsWith("_IN_PROGRESS")) return "busy";
  if (status === "UPDATE_ROLLBACK_FAILED" || status === "DELETE_FAILED") return "stuck";
  return "ready";
}

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
