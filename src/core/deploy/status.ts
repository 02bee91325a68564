/**
 * `trace status`: each stack's state, last update, drift as CloudFormation last recorded it, and
 * outputs; with `detectDrift`, drift detection is run first and its findings attached.
 */
import type { ResolvedEnvironment } from "../config";
import { toTraceError, unparsedResponse } from "../errors";
import type { Reporter } from "../reporter";
import { type StackId, stackName, stackRegion, stacksOf } from "../stacks";
import type { Lambda } from "./aliases";
import { detectDrift, type StackDrift } from "./drift";
import { type AliasStatusRow, aliasStatus } from "./rollback";
import { type Backoff, type CloudFormation, describeStack, outputsOf, stackState } from "./stack-state";

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
  /** What `--detect-drift` found (absent without it, or for a stack not deployed or busy). */
  detected?: StackDrift;
}

/** The status shown for a stack that does not exist. */
const NOT_DEPLOYED = "NOT_DEPLOYED";
/** The status shown for a stack that could not be read (the reason says why). */
export const UNKNOWN_STATUS = "UNKNOWN";

const unknownRow = (stack: StackId, name: string): StackStatusRow => ({
  stack,
  stackName: name,
  status: UNKNOWN_STATUS,
  lastUpdated: undefined,
  drift: undefined,
  driftCheckedAt: undefined,
  terminationProtection: false,
  statusReason: undefined,
  outputs: {},
});

export interface StatusResult {
  environment: string;
  region: string;
  stacks: StackStatusRow[];
}

/**
 * Reads every stack of the environment (bootstrap included, the DR stack in its region when there
 * is one); missing stacks are listed as NOT_DEPLOYED.
 */
export async function stackStatus(
  cf: CloudFormation,
  env: Pick<ResolvedEnvironment, "name" | "region" | "stage" | "drRegion">,
  signal?: AbortSignal,
  cloudformationIn?: (region: string) => CloudFormation,
): Promise<StatusResult> {
  const stacks = await Promise.all(
    stacksOf(env).map(async (id): Promise<StackStatusRow> => {
      const name = stackName(env, id);
      const region = stackRegion(env, id);
      let stack: Awaited<ReturnType<typeof describeStack>>;
      try {
        stack = await describeStack(region === env.region || !cloudformationIn ? cf : cloudformationIn(region), name, signal);
      } catch (error) {
        // One stack the service cannot describe (an emulator's broken stack) must not hide the others.
        const traced = toTraceError(error);
        if (unparsedResponse(traced.cause) === undefined) throw traced;
        return { ...unknownRow(id, name), statusReason: traced.message.replace(`stack ${name}: `, "") };
      }
      const drift = stack?.DriftInformation;
      return {
        stack: id,
        stackName: name,
        status: stack?.StackStatus ?? NOT_DEPLOYED,
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

export interface DriftStatusOptions {
  reporter: Reporter;
  /** CloudFormation in another region (the DR stack's row). */
  cloudformationIn?: (region: string) => CloudFormation;
  signal?: AbortSignal;
  backoff?: Backoff;
}

/**
 * Status with drift detected now: detection runs on every deployed stack that is not busy, and the
 * DRIFT column shows its result instead of the last recorded one.
 */
export async function stackStatusWithDrift(
  cf: CloudFormation,
  env: Pick<ResolvedEnvironment, "name" | "region" | "stage" | "drRegion">,
  options: DriftStatusOptions,
): Promise<StatusResult> {
  const result = await stackStatus(cf, env, options.signal, options.cloudformationIn);
  // Drift is detected on stacks that hold resources and are not busy (in the environment's region).
  const checkable = result.stacks.filter((s) => {
    if (stackRegion(env, s.stack) !== env.region) return false;
    const state = stackState(s.status === NOT_DEPLOYED ? undefined : s.status);
    return state !== "absent" && state !== "busy" && s.status !== UNKNOWN_STATUS;
  });
  const found = await detectDrift(
    cf,
    checkable.map((s) => s.stackName),
    options,
  );
  const byName = new Map(found.map((d) => [d.stackName, d]));
  return {
    ...result,
    stacks: result.stacks.map((row) => {
      const detected = byName.get(row.stackName);
      if (!detected) return row;
      return {
        ...row,
        drift: detected.error ? row.drift : detected.status,
        driftCheckedAt: detected.checkedAt ?? row.driftCheckedAt,
        detected,
      };
    }),
  };
}

export interface EnvironmentStatusOptions extends Partial<DriftStatusOptions> {
  cloudformation: CloudFormation;
  lambda: Lambda;
  env: ResolvedEnvironment;
  templatesDir: string;
  /** Run drift detection first (needs the reporter). */
  detectDrift?: boolean;
}

/** `trace status`: the stacks (with drift detected now, when asked) and each function's alias. */
export async function environmentStatus(options: EnvironmentStatusOptions): Promise<StatusResult & { aliases: AliasStatusRow[] }> {
  const { cloudformation: cf, env, signal } = options;
  const stacks =
    options.detectDrift && options.reporter
      ? await stackStatusWithDrift(cf, env, {
          reporter: options.reporter,
          signal,
          backoff: options.backoff,
          cloudformationIn: options.cloudformationIn,
        })
      : await stackStatus(cf, env, signal, options.cloudformationIn);
  return { ...stacks, aliases: await aliasStatus(options.lambda, env, options.templatesDir, signal) };
}
