/**
 * `trace status --detect-drift`: starts CloudFormation drift detection on each deployed stack, waits
 * for it (polling with backoff, progress on the reporter), then reads the drifted resources and
 * their property differences (DetectStackDrift → DescribeStackDriftDetectionStatus →
 * DescribeStackResourceDrifts, filtered to MODIFIED and DELETED).
 */
import {
  DescribeStackDriftDetectionStatusCommand,
  type DescribeStackDriftDetectionStatusCommandOutput,
  DescribeStackResourceDriftsCommand,
  DetectStackDriftCommand,
  type StackResourceDrift,
} from "@aws-sdk/client-cloudformation";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import { sleep } from "../sleep";
import { type Backoff, type CloudFormation, DEFAULT_BACKOFF, nextDelay } from "./stack-state";
import { isUnavailable } from "./unavailable";

export interface DriftedProperty {
  path: string;
  expected: string;
  actual: string;
  /** ADD, REMOVE or NOT_EQUAL. */
  difference: string;
}

export interface DriftedResource {
  logicalId: string;
  physicalId: string | undefined;
  type: string;
  /** MODIFIED or DELETED. */
  status: string;
  properties: DriftedProperty[];
}

export interface StackDrift {
  stackName: string;
  /** DRIFTED, IN_SYNC, NOT_CHECKED, or UNKNOWN when detection could not run. */
  status: string;
  /** DETECTION_COMPLETE or DETECTION_FAILED (some resources could not be checked); undefined when it could not start. */
  detection: string | undefined;
  reason: string | undefined;
  driftedCount: number | undefined;
  checkedAt: string | undefined;
  resources: DriftedResource[];
  /** Why detection could not run for this stack. */
  error?: string;
}

export interface DriftOptions {
  reporter: Reporter;
  signal?: AbortSignal;
  backoff?: Backoff;
  /** Gives up waiting after this long (default 10 minutes): detection of a large stack can take minutes. */
  timeoutMs?: number;
  now?: () => number;
}

const toResource = (d: StackResourceDrift): DriftedResource => ({
  logicalId: d.LogicalResourceId ?? "",
  physicalId: d.PhysicalResourceId,
  type: d.ResourceType ?? "",
  status: d.StackResourceDriftStatus ?? "",
  properties: (d.PropertyDifferences ?? []).map((p) => ({
    path: p.PropertyPath ?? "",
    expected: p.ExpectedValue ?? "",
    actual: p.ActualValue ?? "",
    difference: p.DifferenceType ?? "",
  })),
});

async function driftedResources(cf: CloudFormation, stackName: string, signal?: AbortSignal): Promise<DriftedResource[]> {
  const all: DriftedResource[] = [];
  let token: string | undefined;
  do {
    const page = await cf.send(
      new DescribeStackResourceDriftsCommand({
        StackName: stackName,
        StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"],
        NextToken: token,
      }),
      { abortSignal: signal },
    );
    all.push(...(page.StackResourceDrifts ?? []).map(toResource));
    token = page.NextToken;
  } while (token);
  return all;
}

async function detectOne(cf: CloudFormation, stackName: string, options: DriftOptions, onDone: () => void): Promise<StackDrift> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const now = options.now ?? Date.now;
  let id: string;
  try {
    const started = await cf.send(new DetectStackDriftCommand({ StackName: stackName }), { abortSignal: options.signal });
    id = started.StackDriftDetectionId ?? "";
  } catch (error) {
    if (options.signal?.aborted) throw error;
    onDone();
    const why = isUnavailable(error)
      ? "the endpoint does not implement DetectStackDrift (the local emulator has no drift detection)"
      : toTraceError(error, `DetectStackDrift on ${stackName}`).message;
    return {
      stackName,
      status: "UNKNOWN",
      detection: undefined,
      reason: undefined,
      driftedCount: undefined,
      checkedAt: undefined,
      resources: [],
      error: why,
    };
  }
  const deadline = now() + (options.timeoutMs ?? 600_000);
  let delay = backoff.initialMs;
  let status: DescribeStackDriftDetectionStatusCommandOutput;
  for (;;) {
    try {
      status = await cf.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: id }), { abortSignal: options.signal });
    } catch (error) {
      throw toTraceError(error, `drift detection ${id} of ${stackName}`);
    }
    if (status.DetectionStatus !== "DETECTION_IN_PROGRESS") break;
    if (now() > deadline) {
      throw new TraceError(
        ErrorCode.failed,
        `drift detection of ${stackName} still running after ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s`,
        {
          hint: `it goes on in CloudFormation: \`aws cloudformation describe-stack-drift-detection-status --stack-drift-detection-id ${id}\``,
        },
      );
    }
    await sleep(delay, options.signal);
    delay = nextDelay(delay, backoff);
  }
  onDone();
  let resources: DriftedResource[];
  try {
    resources = await driftedResources(cf, stackName, options.signal);
  } catch (error) {
    throw toTraceError(error, `drift results of ${stackName}`);
  }
  return {
    stackName,
    status: status.StackDriftStatus ?? "UNKNOWN",
    detection: status.DetectionStatus,
    reason: status.DetectionStatusReason,
    driftedCount: status.DriftedStackResourceCount,
    checkedAt: status.Timestamp?.toISOString(),
    resources,
  };
}

/**
 * Detects drift on the given (deployed) stacks at once. A stack whose detection cannot start is
 * reported with `error`; when none can start, that is an error of its own (exit 1).
 */
export async function detectDrift(cf: CloudFormation, stackNames: readonly string[], options: DriftOptions): Promise<StackDrift[]> {
  let done = 0;
  const progress = options.reporter.progress(`detecting drift on ${stackNames.length} stack${stackNames.length === 1 ? "" : "s"}…`);
  const tick = () => {
    done++;
    progress.update(`detecting drift: ${done} of ${stackNames.length} stacks checked`);
  };
  try {
    const results = await Promise.all(stackNames.map((name) => detectOne(cf, name, options, tick)));
    progress.stop();
    const failed = results.filter((r) => r.error);
    if (results.length > 0 && failed.length === results.length) {
      throw new TraceError(ErrorCode.failed, `drift detection could not start on any stack: ${failed[0]?.error}`, {
        hint: "against AWS the caller needs cloudformation:DetectStackDrift plus read permissions on each resource; the local emulator (moto) has no drift detection, so `trace status` without --detect-drift is all it can show",
      });
    }
    return results;
  } catch (error) {
    progress.stop();
    throw error;
  }
}
