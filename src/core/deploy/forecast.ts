/**
 * `trace forecast` (and the first step of `trace deploy`): read-only checks for what would make a
 * deploy fail late on AWS, or lose protection, each with a verdict and, when it does not pass, the
 * fix. Nothing is created or changed. The checks live in forecast-names.ts and forecast-account.ts.
 */
import type { CloudFormationClient, Stack } from "@aws-sdk/client-cloudformation";
import { ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { ResolvedEnvironment } from "../config";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import { absentOutputs, configParameters, type StackId, stackName, stackRegion, stacksOf } from "../stacks";
import { accountChecks } from "./forecast-account";
import type { ForecastClients, ForecastContext, ForecastResult, ForecastStack, Send } from "./forecast-checks";
import { nameChecks } from "./forecast-names";
import { describeStack, outputsOf } from "./stack-state";
import { parseTemplateDocument } from "./template-values";
import { readTemplate } from "./templates";
import { pseudoParameters } from "./update-guard";

export type * from "./forecast-checks";

/**
 * Attempts per forecast request. The checks are a quick look before a deploy, and a "could not
 * check" is a warning, not a failure: three attempts ride out a throttle, while the default eight
 * would spend seconds on an endpoint that answers a check with HTTP 500 every time (moto's
 * DescribeKey on keys its CloudFormation made: 5.2 s for a no-op redeploy instead of about 1.6 s).
 */
export const FORECAST_MAX_ATTEMPTS = 3;

export interface ForecastOptions {
  env: ResolvedEnvironment;
  clients: ForecastClients;
  /** The stacks to deploy; empty: all. */
  stacks: readonly StackId[];
  templatesDir: string;
  signal?: AbortSignal;
}

async function physicalIds(cf: Send<CloudFormationClient>, stackId: string, signal?: AbortSignal): Promise<Set<string>> {
  const ids = new Set<string>();
  let token: string | undefined;
  do {
    const page = await cf.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: token }), { abortSignal: signal });
    for (const r of page.StackResourceSummaries ?? []) if (r.PhysicalResourceId) ids.add(r.PhysicalResourceId);
    token = page.NextToken;
  } while (token);
  return ids;
}

/**
 * The account the stacks are (or will be) in, for names that carry it (the buckets): from a
 * deployed stack's id, else the caller's identity (undefined when neither can be read).
 */
async function accountOf(deployed: Partial<Record<StackId, Stack>>, clients: ForecastClients, signal?: AbortSignal) {
  for (const stack of Object.values(deployed)) {
    const account = /^arn:[^:]+:cloudformation:[^:]+:(\d{12}):/.exec(stack?.StackId ?? "")?.[1];
    if (account) return account;
  }
  try {
    return (await clients.sts?.send(new GetCallerIdentityCommand({}), { abortSignal: signal }))?.Account;
  } catch {
    return undefined;
  }
}

/** Runs every check for the chosen stacks; never changes anything. */
export async function forecast(options: ForecastOptions): Promise<ForecastResult> {
  const { env, clients, signal } = options;
  // The checks read the environment's region; the DR stack (drRegion) holds no name they check.
  const here = stacksOf(env).filter((s) => stackRegion(env, s) === env.region);
  const wanted = options.stacks.length === 0 ? here : here.filter((s) => options.stacks.includes(s));
  const deployed: Partial<Record<StackId, Stack>> = {};
  for (const id of here) {
    const stack = await describeStack(clients.cloudformation, stackName(env, id), signal);
    if (stack) deployed[id] = stack;
  }
  const outputs = Object.assign(absentOutputs("dr"), ...here.map((id) => outputsOf(deployed[id])));
  const account = await accountOf(deployed, clients, signal);
  const stacks = wanted.map((id): ForecastStack => {
    const template = readTemplate(options.templatesDir, id);
    const name = stackName(env, id);
    const existing = deployed[id];
    return {
      id,
      name,
      template,
      document: parseTemplateDocument(template.body),
      evaluation: {
        parameters: { ...outputs, ...configParameters(env) },
        pseudo: { ...pseudoParameters(existing?.StackId ?? name, name, env.region), ...(account ? { "AWS::AccountId": account } : {}) },
      },
      existing,
    };
  });
  const owned = new Map<string, Promise<Set<string>>>();
  const context: ForecastContext = {
    env,
    clients,
    signal,
    stacks,
    deployed,
    owned: (stack) => {
      const key = stack.StackId ?? stack.StackName ?? "";
      let ids = owned.get(key);
      if (!ids) {
        ids = physicalIds(clients.cloudformation, key, signal).catch((error: unknown) => {
          throw toTraceError(error, `resources of ${stack.StackName}`);
        });
        owned.set(key, ids);
      }
      return ids;
    },
  };
  const checks = [...(await nameChecks(context)), ...(await accountChecks(context))];
  return {
    environment: env.name,
    region: env.region,
    stacks: stacks.map((s) => s.name),
    checks,
    failed: checks.filter((c) => c.verdict === "fail").length,
    warned: checks.filter((c) => c.verdict === "warn").length,
  };
}

/** The error a deploy stops with when checks fail: exit 4, each failure with its fix. */
export function forecastError(result: ForecastResult): TraceError {
  const failures = result.checks.filter((c) => c.verdict === "fail");
  const list = failures.map((c) => `${c.subject}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ""}`).join("; ");
  return new TraceError(
    ErrorCode.conflict,
    `forecast: ${failures.length} check${failures.length === 1 ? "" : "s"} would fail the deploy: ${list}`,
    {
      hint: "fix what the table says and deploy again; `trace forecast` repeats the checks; --no-forecast skips them (the deploy then fails later, on AWS)",
    },
  );
}
