// Drift detection against a scripted CloudFormation whose replies are AWS's documented ones
// (test/fixtures/aws-responses/drift.ts): moto 5.2.5 has no DetectStackDrift (what it does answer is
// checked in test/integration/deploy/gate.test.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { detectDrift } from "../../../../src/core/deploy/drift";
import { TraceError } from "../../../../src/core/errors";
import type { Reporter } from "../../../../src/core/reporter";
import { detectionComplete, detectionInProgress, detectStackDrift, stackResourceDrifts } from "../../../fixtures/aws-responses/drift";

function scripted(polls: number, fail?: Error) {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  let left = polls;
  const send = vi.fn(async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name.replace(/Command$/, "");
    calls.push({ name, input: command.input });
    switch (name) {
      case "DetectStackDrift":
        if (fail) throw fail;
        return detectStackDrift;
      case "DescribeStackDriftDetectionStatus":
        return left-- > 0 ? detectionInProgress : detectionComplete;
      case "DescribeStackResourceDrifts":
        return stackResourceDrifts;
      default:
        throw new Error(`unexpected ${name}`);
    }
  });
  return { cf: { send } as never, calls };
}

function recorder() {
  const updates: string[] = [];
  const reporter: Reporter = {
    info() {},
    warn() {},
    debug() {},
    progress: (text) => {
      updates.push(text);
      return { update: (t) => updates.push(t), succeed() {}, fail() {}, stop() {} };
    },
    confirm: async () => true,
    choose: async (_q, _c, fallback) => fallback,
  };
  return { reporter, updates };
}

describe("trace status --detect-drift (core)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts detection, polls while it runs, then lists the drifted resources and properties", async () => {
    const { cf, calls } = scripted(3);
    const { reporter, updates } = recorder();
    const done = detectDrift(cf, ["my-stack-with-resource-drift"], { reporter });
    await vi.runAllTimersAsync();
    const [drift] = await done;
    expect(calls.map((c) => c.name)).toEqual([
      "DetectStackDrift",
      "DescribeStackDriftDetectionStatus",
      "DescribeStackDriftDetectionStatus",
      "DescribeStackDriftDetectionStatus",
      "DescribeStackDriftDetectionStatus",
      "DescribeStackResourceDrifts",
    ]);
    expect(calls[1]?.input).toEqual({ StackDriftDetectionId: "624af370-311a-11e8-b6b7-500cexample" });
    expect(calls[5]?.input).toMatchObject({
      StackName: "my-stack-with-resource-drift",
      StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"],
    });
    expect(drift).toEqual({
      stackName: "my-stack-with-resource-drift",
      status: "DRIFTED",
      detection: "DETECTION_COMPLETE",
      reason: undefined,
      driftedCount: 1,
      checkedAt: "2018-03-26T17:23:22.279Z",
      resources: [
        {
          logicalId: "Queue",
          physicalId: "https://sqs.us-east-1.amazonaws.com/099908667365/my-stack-with-resource-drift-Queue-494PBHCO76H4",
          type: "AWS::SQS::Queue",
          status: "MODIFIED",
          properties: [
            { path: "/DelaySeconds", expected: "20", actual: "120", difference: "NOT_EQUAL" },
            { path: "/RedrivePolicy/maxReceiveCount", expected: "10", actual: "12", difference: "NOT_EQUAL" },
          ],
        },
      ],
    });
    expect(updates).toEqual(["detecting drift on 1 stack…", "detecting drift: 1 of 1 stacks checked"]);
  });

  it("gives up waiting after the timeout, saying how to follow the detection", async () => {
    const { cf } = scripted(Number.POSITIVE_INFINITY);
    const done = detectDrift(cf, ["s"], { reporter: recorder().reporter, timeoutMs: 30_000 }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const error = (await done) as TraceError;
    expect(error).toBeInstanceOf(TraceError);
    expect(error.message).toMatch(/drift detection of s still running after 30 s/);
    expect(error.hint).toMatch(/describe-stack-drift-detection-status --stack-drift-detection-id 624af370/);
  });

  it("fails (exit 1) when detection cannot start on any stack, naming why", async () => {
    const denied = Object.assign(new Error("User is not authorized to perform: cloudformation:DetectStackDrift"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    const { cf } = scripted(0, denied);
    const error = (await detectDrift(cf, ["a", "b"], { reporter: recorder().reporter }).catch((e: unknown) => e)) as TraceError;
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(
      /drift detection could not start on any stack: .*not authorized to perform: cloudformation:DetectStackDrift/,
    );
  });
});
