/**
 * Executing a change set and following it to its end: events streamed, a progress line with
 * the elapsed time, a clear failure (first failed resource, reason, end state) or an
 * interruption that leaves CloudFormation working and says how to pick the stack up again.
 */
import { ExecuteChangeSetCommand, type Stack } from "@aws-sdk/client-cloudformation";
import { ErrorCode, interruptedError, isAbortError, TraceError } from "../errors";
import type { Reporter } from "../reporter";
import type { ChangeRow } from "./change-sets";
import { type DeployEvent, formatEvent, latestEventId, watchStack } from "./events";
import { type Backoff, type CloudFormation, describeStack, isSuccess, stackState } from "./stack-state";

export interface ExecuteOptions {
  reporter: Reporter;
  signal?: AbortSignal;
  backoff?: Backoff;
  onEvent?(event: DeployEvent): void;
  /** What is happening, for messages: "deploy" or "delete". */
  verb?: string;
}

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Reads the reason out of an error whose body the SDK could not parse (JSON, XML or text). */
export function executionFailureReason(error: unknown): string {
  const e = error as { message?: string; $response?: { body?: unknown } };
  const body = e.$response?.body;
  if (typeof body === "string" && body.trim() !== "") {
    try {
      const parsed = JSON.parse(body) as { message?: string; Message?: string; __type?: string };
      const text = parsed.message ?? parsed.Message;
      if (text) return parsed.__type ? `${parsed.__type.split("#").pop()}: ${text}` : text;
    } catch {
      const xml = /<Message>([\s\S]*?)<\/Message>/.exec(body);
      if (xml?.[1]) return xml[1];
      return body
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
        .trim()
        .slice(0, 300);
    }
  }
  const name = (error as { name?: string }).name;
  return name && name !== "Error" ? `${name}: ${e.message ?? ""}` : (e.message ?? String(error));
}

/** Runs `watch` with a progress line that shows the elapsed time, refreshed every second. */
export async function withElapsed<T>(
  reporter: Reporter,
  label: string,
  run: (setStatus: (s: string) => void) => Promise<T>,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let status = "";
  const progress = reporter.progress(label);
  const render = () => progress.update(`${label}${status ? ` ${status}` : ""} · ${formatElapsed(Date.now() - started)}`);
  const timer = setInterval(render, 1000);
  timer.unref?.();
  try {
    const value = await run((s) => {
      status = s;
      render();
    });
    progress.stop();
    return { value, ms: Date.now() - started };
  } catch (error) {
    progress.stop();
    throw error;
  } finally {
    clearInterval(timer);
  }
}

/** The message when the operator stops watching: the operation goes on without us. */
export function stoppedWatching(reporter: Reporter, stackName: string, verb: string): TraceError {
  reporter.warn(
    `stopped watching ${stackName}; CloudFormation carries on with the ${verb} on its own. ` +
      "Run `trace status` to see where it stands (and `trace deploy` again once it has finished, if needed).",
  );
  return interruptedError(`interrupted while watching ${stackName}`);
}

export interface ExecuteResult {
  stack: Stack | undefined;
  events: DeployEvent[];
  ms: number;
}

/**
 * Starts a stack operation (`start` executes a change set or creates the stack and returns the
 * stack id) and watches it until it ends. Throws a failure naming the first failed resource and
 * the end state, or an interruption that leaves CloudFormation working.
 */
export async function runOperation(
  cf: CloudFormation,
  stackName: string,
  existingStackId: string | undefined,
  start: () => Promise<string>,
  changes: readonly ChangeRow[],
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const { reporter, signal } = options;
  const onEvent = options.onEvent ?? ((e: DeployEvent) => reporter.info(`  ${formatEvent(e)}`));
  const afterId = existingStackId ? await latestEventId(cf, existingStackId, signal) : undefined;
  let stackId: string;
  try {
    stackId = await start();
  } catch (error) {
    if (isAbortError(error) || signal?.aborted) throw stoppedWatching(reporter, stackName, "deploy");
    const failure = executionError(stackName, changes, error);
    // Say what state the failure left behind, as the event path does.
    const after = await describeStack(cf, existingStackId ?? stackName).catch(() => undefined);
    if (!after?.StackStatus) throw failure;
    throw new TraceError(failure.code, `${failure.message}; the stack is in ${after.StackStatus}`, {
      hint:
        stackState(after.StackStatus) === "busy"
          ? "the service left the stack in progress without rolling back (the local emulator does this); delete it with `trace destroy` if it stays so"
          : rollbackHint(stackName, after.StackStatus),
      cause: error,
    });
  }
  try {
    const { value, ms } = await withElapsed(reporter, `${stackName}:`, (setStatus) =>
      watchStack(cf, stackId, afterId, {
        signal,
        backoff: options.backoff,
        onEvent,
        onPoll: (stack) => setStatus(stack?.StackStatus ?? ""),
      }),
    );
    const status = value.stack?.StackStatus;
    if (!isSuccess(status)) {
      const failure = value.firstFailure;
      const what = failure
        ? `${failure.logicalId} (${failure.type}) ${failure.status}: ${failure.reason || "no reason given"}`
        : "no resource reported a failure";
      throw new TraceError(ErrorCode.failed, `${stackName} failed: ${what}; the stack ended in ${status ?? "an unknown state"}`, {
        hint: rollbackHint(stackName, status),
      });
    }
    return { stack: value.stack, events: value.events, ms };
  } catch (error) {
    if (isAbortError(error) && signal?.aborted) throw stoppedWatching(reporter, stackName, "deploy");
    throw error;
  }
}

/** Executes a ready change set and watches the stack until the update ends. */
export function executeChangeSet(
  cf: CloudFormation,
  stackName: string,
  stackId: string,
  changeSetId: string,
  changes: readonly ChangeRow[],
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  return runOperation(
    cf,
    stackName,
    stackId,
    async () => {
      await cf.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId }), { abortSignal: options.signal });
      return stackId;
    },
    changes,
    options,
  );
}

/** What to do about the state a failed operation left behind. */
export function rollbackHint(stackName: string, status: string | undefined): string {
  switch (status) {
    case "ROLLBACK_COMPLETE":
      return `the first creation failed and was rolled back; fix the cause and run \`trace deploy\` again: it offers to replace the empty stack ${stackName}`;
    case "UPDATE_ROLLBACK_COMPLETE":
      return "the update was rolled back and the stack is as before; fix the cause and deploy again";
    case "UPDATE_ROLLBACK_FAILED":
      return `the rollback failed too: fix what blocks it, then \`aws cloudformation continue-update-rollback --stack-name ${stackName}\` (with --resources-to-skip for resources that cannot roll back), then deploy again`;
    default:
      return "fix the cause shown above, then deploy again; `trace status` shows the stack's state";
  }
}

/**
 * Real CloudFormation accepts ExecuteChangeSet and fails resources asynchronously (seen as events);
 * an emulator that applies the change set inside the request fails the request itself, with no
 * events. The reason comes from the response; the failed resource is named when the change set
 * adds only one resource, otherwise the candidates are listed.
 */
function executionError(stackName: string, changes: readonly ChangeRow[], error: unknown): TraceError {
  const reason = executionFailureReason(error);
  const added = changes.filter((c) => c.action === "Add");
  const candidates = added.length > 0 ? added : changes.filter((c) => c.action === "Modify");
  const resource =
    candidates.length === 1
      ? `${candidates[0]?.logicalId} (${candidates[0]?.type}) failed`
      : `one of ${candidates.map((c) => `${c.logicalId} (${c.type})`).join(", ")} failed`;
  return new TraceError(ErrorCode.failed, `${stackName} failed: ${resource}: ${reason}; the service reported no events for it`, {
    hint: "fix the template or the value that feeds it; `trace status` shows the stack's state",
    cause: error,
  });
}
