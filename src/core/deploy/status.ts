/** `trace status`: each stack's state, last update, drift (when CloudFormation knows it) and outputs. */
import type { ResolvedEnvironment } from "../config";
import { STACKS, type StackId, stackName } from "../stacks";
import { type CloudFormation, describeStack, outputsOf } from "./stack-state";

export interface StackStatusRow {
  stack: StackId;
  stackName: string;
  /** The CloudFormation status, or "NOT_DEPLOYED". */
  status: string;
  lastUpdated: string | undefined;
  /** DRIFTED / IN_SYNC / NOT_CHECKED …, or undefined when the service gives none (drift is never detected here, only read). */
  drift: string | undefined;
  driftCheckedAt: string | undefined;
  terminationProtection: boolean;
  statusReason: string | undefined;
  outputs: Record<string, string>;
}

export interface StatusResult {
  environment: string;
  region: string;
  stacks: StackStatusRow[];
}

/** Reads every stack of the environment (bootstrap included); missing stacks are listed as NOT_DEPLOYED. */
export async function stackStatus(
  cf: CloudFormation,
  env: Pick<ResolvedEnvironment, "name" | "region" | "stage">,
  signal?: AbortSignal,
): Promise<StatusResult> {
  const stacks = await Promise.all(
    STACKS.map(async (id): Promise<StackStatusRow> => {
      const name = stackName(env, id);
      const stack = await describeStack(cf, name, signal);
      const drift = stack?.DriftInformation;
      return {
        stack: id,
        stackName: name,
        status: stack?.StackStatus ?? "NOT_DEPLOYED",
        lastUpdated: (stack?.LastUpdatedTime ?? stack?.CreationTime)?.toISOString(),
        drift: drift?.StackDriftStatus,
        driftCheckedAt: drift?.LastCheckTimestamp?.toISOString(),
        terminationProtection: Boolean(stack?.EnableTerminationProtection),
        statusReason: stack?.StackStatusReason,
        outputs: outputsOf(stack),
      };
    }),
  );
  return { environment: env.name, region: env.region, stacks };
}
