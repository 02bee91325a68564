// Polling and failure reporting against a scripted CloudFormation. moto applies stacks inside the
// request and emits no resource events or rollbacks, so the real service's asynchronous behaviour
// (events arriving over time, CREATE_FAILED then ROLLBACK_COMPLETE) can only be played back here.
import type { StackEvent } from "@aws-sdk/client-cloudformation";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type DeployEvent, watchStack } from "../../../../src/core/deploy/events";
import { runOperation } from "../../../../src/core/deploy/execute";
import { TraceError } from "../../../../src/core/errors";
import type { Reporter } from "../../../../src/core/reporter";

const STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/trace-dev-base/1";

function event(n: number, logicalId: string, status: string, reason = "", type = "AWS::SNS::Topic"): StackEvent {
  return {
    EventId: `e${n}`,
    StackId: STACK,
    StackName: "trace-dev-base",
    LogicalResourceId: logicalId,
    ResourceType: type,
    ResourceStatus: status as StackEvent["ResourceStatus"],
    ResourceStatusReason: reason,
    Timestamp: new Date(Date.UTC(2026, 10, 23, 10, 0, n)),
  };
}

/** Each poll (events, then stack) sees one more step of the script; the newest event comes first, as from the service. */
function scriptedCloudFormation(steps: { events: StackEvent[]; status: string }[]) {
  let poll = 0;
  const pollTimes: number[] = [];
  const send = vi.fn(async (command: { constructor: { name: string } }) => {
    const step = steps[Math.min(poll, steps.length - 1)] as (typeof steps)[number];
    switch (command.constructor.name) {
      case "DescribeStackEventsCommand":
        return { StackEvents: [...step.events].reverse() };
      case "DescribeStacksCommand":
        pollTimes.push(Date.now());
        poll++;
        return { Stacks: [{ StackId: STACK, StackName: "trace-dev-base", StackStatus: step.status, CreationTime: new Date() }] };
      case "ExecuteChangeSetCommand":
        return {};
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  });
  return {
    cf: { send } as never,
    pollTimes,
    /** Moves the script on by one step (as starting the operation does). */
    advance: () => {
      poll++;
    },
  };
}

function recordingReporter() {
  const lines: string[] = [];
  const reporter: Reporter = {
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    debug: () => {},
    progress: () => ({ update() {}, succeed() {}, fail() {}, stop() {} }),
    confirm: async () => true,
    choose: async (_q, _c, fallback) => fallback,
  };
  return { reporter, lines };
}

const e1 = event(1, "trace-dev-base", "UPDATE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack");
const e2 = event(2, "AlarmTopic", "UPDATE_IN_PROGRESS");
const e3 = event(3, "AlarmTopic", "UPDATE_FAILED", "Invalid parameter: TopicName");
const e4 = event(4, "DataBucket", "UPDATE_FAILED", "Resource update cancelled", "AWS::S3::Bucket");
const e5 = event(
  5,
  "trace-dev-base",
  "UPDATE_ROLLBACK_IN_PROGRESS",
  "The following resource(s) failed to update: [AlarmTopic]",
  "AWS::CloudFormation::Stack",
);
const e6 = event(6, "trace-dev-base", "UPDATE_ROLLBACK_COMPLETE", "", "AWS::CloudFormation::Stack");

describe("watching a stack operation", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("streams each new event once, oldest first, until the stack leaves *_IN_PROGRESS", async () => {
    const before = event(0, "trace-dev-base", "CREATE_COMPLETE", "", "AWS::CloudFormation::Stack");
    const { cf } = scriptedCloudFormation([
      { events: [before, e1], status: "UPDATE_IN_PROGRESS" },
      { events: [before, e1], status: "UPDATE_IN_PROGRESS" },
      { events: [before, e1, e2, e3, e4], status: "UPDATE_ROLLBACK_IN_PROGRESS" },
      { events: [before, e1, e2, e3, e4, e5, e6], status: "UPDATE_ROLLBACK_COMPLETE" },
    ]);
    const seen: DeployEvent[] = [];
    const done = watchStack(cf, STACK, "e0", { onEvent: (e) => seen.push(e) });
    await vi.runAllTimersAsync();
    const result = await done;
    expect(seen.map((e) => `${e.logicalId} ${e.status}`)).toEqual([
      "trace-dev-base UPDATE_IN_PROGRESS",
      "AlarmTopic UPDATE_IN_PROGRESS",
      "AlarmTopic UPDATE_FAILED",
      "DataBucket UPDATE_FAILED",
      "trace-dev-base UPDATE_ROLLBACK_IN_PROGRESS",
      "trace-dev-base UPDATE_ROLLBACK_COMPLETE",
    ]);
    expect(result.stack?.StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    // The cancellation that follows the real failure is not the cause.
    expect(result.firstFailure).toMatchObject({ logicalId: "AlarmTopic", reason: "Invalid parameter: TopicName" });
  });

  it("backs off while nothing happens and polls quickly again once events arrive", async () => {
    const quiet = { events: [e1], status: "UPDATE_IN_PROGRESS" };
    const { cf, pollTimes } = scriptedCloudFormation([
      quiet,
      quiet,
      quiet,
      quiet,
      { events: [e1, e2], status: "UPDATE_IN_PROGRESS" },
      { events: [e1, e2], status: "UPDATE_IN_PROGRESS" },
      { events: [e1, e2, e6], status: "UPDATE_COMPLETE" },
    ]);
    const done = watchStack(cf, STACK, undefined, { onEvent: () => {}, backoff: { initialMs: 1000, maxMs: 3000, factor: 2 } });
    await vi.runAllTimersAsync();
    await done;
    const gaps = pollTimes.slice(1).map((t, i) => t - (pollTimes[i] as number));
    // First poll had a new event (e1): 1 s; then quiet: 2 s, 3 s (ceiling), 3 s; e2 arrives: back to 1 s; quiet: 2 s.
    expect(gaps).toEqual([1000, 2000, 3000, 3000, 1000, 2000]);
  });

  it("stops at once when the signal aborts, leaving the operation running", async () => {
    const { cf } = scriptedCloudFormation([{ events: [e1], status: "UPDATE_IN_PROGRESS" }]);
    const controller = new AbortController();
    const { reporter, lines } = recordingReporter();
    const done = runOperation(cf, "trace-dev-base", STACK, async () => STACK, [], { reporter, signal: controller.signal });
    const outcome = done.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(3000);
    controller.abort();
    const error = await outcome;
    expect(error).toBeInstanceOf(TraceError);
    expect((error as TraceError).exitCode).toBe(130);
    expect(lines.join("\n")).toMatch(/stopped watching trace-dev-base; CloudFormation carries on.*`trace status`/s);
  });

  it("fails naming the first failed resource, its reason and the rollback's end state", async () => {
    const before = event(0, "trace-dev-base", "CREATE_COMPLETE", "", "AWS::CloudFormation::Stack");
    const { cf, advance } = scriptedCloudFormation([
      { events: [before], status: "CREATE_COMPLETE" },
      { events: [before, e1, e2, e3, e4, e5, e6], status: "UPDATE_ROLLBACK_COMPLETE" },
    ]);
    const { reporter } = recordingReporter();
    const start = async () => {
      advance();
      return STACK;
    };
    const done = runOperation(cf, "trace-dev-base", STACK, start, [], { reporter }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const error = (await done) as TraceError;
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      "trace-dev-base failed: AlarmTopic (AWS::SNS::Topic) UPDATE_FAILED: Invalid parameter: TopicName; the stack ended in UPDATE_ROLLBACK_COMPLETE",
    );
    expect(error.hint).toMatch(/rolled back/);
  });
});
