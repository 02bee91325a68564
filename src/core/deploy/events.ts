/**
 * Watching a stack operation: stack events streamed oldest first as they arrive, polling with
 * backoff until the stack leaves its *_IN_PROGRESS state.
 */
import {
  DescribeStackEventsCommand,
  type DescribeStackEventsCommandOutput,
  type Stack,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";
import { toTraceError } from "../errors";
import { sleep } from "../sleep";
import { type Backoff, type CloudFormation, DEFAULT_BACKOFF, describeStack, isFailedStatus, nextDelay, stackState } from "./stack-state";

export interface DeployEvent {
  time: string;
  status: string;
  logicalId: string;
  type: string;
  reason: string;
}

export const toDeployEvent = (e: StackEvent): DeployEvent => ({
  time: (e.Timestamp ?? new Date(0)).toISOString(),
  status: e.ResourceStatus ?? "",
  logicalId: e.LogicalResourceId ?? "",
  type: e.ResourceType ?? "",
  reason: e.ResourceStatusReason ?? "",
});

/** One plain line per event, for reporters that do not render their own. */
export const formatEvent = (e: DeployEvent): string =>
  `${e.time.slice(11, 19)}  ${e.status.padEnd(28)} ${e.logicalId}${e.reason ? `  ${e.reason}` : ""}`;

/** The id of the newest event so far (the watch starts after it), or undefined for none. */
export async function latestEventId(cf: CloudFormation, stackId: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const page = await cf.send(new DescribeStackEventsCommand({ StackName: stackId }), { abortSignal: signal });
    return page.StackEvents?.[0]?.EventId;
  } catch (error) {
    throw toTraceError(error, `events of ${stackId}`);
  }
}

/** Events newer than `afterId`, oldest first (pages newest-first until it meets `afterId`). */
export async function eventsSince(
  cf: CloudFormation,
  stackId: string,
  afterId: string | undefined,
  signal?: AbortSignal,
): Promise<StackEvent[]> {
  const fresh: StackEvent[] = [];
  let token: string | undefined;
  do {
    let page: DescribeStackEventsCommandOutput;
    try {
      page = await cf.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: token }), { abortSignal: signal });
    } catch (error) {
      throw toTraceError(error, `events of ${stackId}`);
    }
    for (const event of page.StackEvents ?? []) {
      if (afterId !== undefined && event.EventId === afterId) return fresh.reverse();
      fresh.push(event);
    }
    token = page.NextToken;
  } while (token);
  return fresh.reverse();
}

export interface WatchOptions {
  signal?: AbortSignal;
  onEvent(event: DeployEvent): void;
  /** Called with the stack after each poll (e.g. to refresh a spinner). */
  onPoll?(stack: Stack | undefined): void;
  backoff?: Backoff;
}

export interface WatchResult {
  stack: Stack | undefined;
  /** Every event seen during the watch, oldest first. */
  events: DeployEvent[];
  /** The first resource that failed, when something did. */
  firstFailure: DeployEvent | undefined;
}

/**
 * Polls the stack (by id, so a deleted stack stays readable) until it is no longer in progress,
 * streaming each new event through `onEvent`. Rejects with an interruption when `signal` aborts.
 */
export async function watchStack(
  cf: CloudFormation,
  stackId: string,
  afterEventId: string | undefined,
  options: WatchOptions,
): Promise<WatchResult> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const seen: DeployEvent[] = [];
  let lastId = afterEventId;
  let delay = backoff.initialMs;
  for (;;) {
    const fresh = await eventsSince(cf, stackId, lastId, options.signal);
    for (const raw of fresh) {
      const event = toDeployEvent(raw);
      seen.push(event);
      options.onEvent(event);
      lastId = raw.EventId ?? lastId;
    }
    const stack = await describeStack(cf, stackId, options.signal);
    options.onPoll?.(stack);
    if (stackState(stack?.StackStatus) !== "busy") {
      // The final events can land just before the status flips: read them once more.
      for (const raw of await eventsSince(cf, stackId, lastId, options.signal)) {
        const event = toDeployEvent(raw);
        seen.push(event);
        options.onEvent(event);
        lastId = raw.EventId ?? lastId;
      }
      return { stack, events: seen, firstFailure: firstFailure(seen) };
    }
    // New events mean things are moving: poll again soon; otherwise back off.
    delay = fresh.length > 0 ? backoff.initialMs : nextDelay(delay, backoff);
    await sleep(delay, options.signal);
  }
}

/** The first failed resource event with a real cause (cancellations follow the real failure). */
export function firstFailure(events: readonly DeployEvent[]): DeployEvent | undefined {
  const failed = events.filter((e) => isFailedStatus(e.status));
  return failed.find((e) => !/cancel+ed/i.test(e.reason)) ?? failed[0];
}
