/**
 * `trace forecast` (and the first step of `trace deploy`): read-only checks for what would make a
 * deploy fail late on AWS, or lose protection, each with a verdict and, when it does not pass, the
 * fix. Nothing is created or changed. The checks live in forecast-names.ts and forecast-account.ts.
 */
import type { CloudFormationClient, Stack } from "@aws-sdk/client-cloudformation";
import { ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ResolvedEnvironment } from "../config";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import { configParameters, STACKS, type StackId, stackName } from "../stacks";
import { accountChecks } from "./forecast-account";
import { nameChecks } from "./forecast-names";
import { describeStack, outputsOf } from "./stack-state";
import { type EvaluationContext, parseTemplateDocument, type TemplateDocument } from "./template-values";
import { readTemplate, type StackTemplate } from "./templates";
import { isUnavailable } from "./unavailable";
import { pseudoParameters } from "./update-guard";

export type ForecastVerdict = "pass" | "warn" | "fail" | "skip";

/**
 * Attempts per forecast request. The checks are a quick look before a deploy, and a "could not
 * check" is a warning, not a failure: three attempts ride out a throttle, while the default eight
 * would spend seconds on an endpoint that answers a check with HTTP 500 every time (moto's
 * DescribeKey on keys its CloudFormation made: 5.2 s for a no-op redeploy instead of about 1.6 s).
 */
export const FORECAST_MAX_ATTEMPTS = 3;

export interface ForecastCheck {
  /** Stable id of the kind of check (see README: Deploying → Forecast). */
  check:
    | "existing-name"
    | "point-in-time-recovery"
    | "lambda-concurrency"
    | "artifact-bucket"
    | "kms-key"
    | "log-group"
    | "permissions-boundary";
  /** What was checked: a table, a bucket, a function, a key … */
  subject: string;
  verdict: ForecastVerdict;
  /** What was found. */
  detail: string;
  /** How to make it pass (for warn and fail). */
  fix?: string;
}

export interface ForecastResult {
  environment: string;
  region: string;
  stacks: string[];
  checks: ForecastCheck[];
  /** Checks that fail: a deploy stops on these. */
  failed: number;
  warned: number;
}

type Send<T extends { send: unknown }> = Pick<T, "send">;

/** The clients the checks read with (all read-only calls). */
export interface ForecastClients {
  cloudformation: Send<CloudFormationClient>;
  dynamodb: Send<DynamoDBClient>;
  s3: Send<S3Client>;
  lambda: Send<LambdaClient>;
  kms: Send<KMSClient>;
  logs: Send<CloudWatchLogsClient>;
  iam: Send<IAMClient>;
}

/** One stack as the checks see it: its template evaluated with the environment's values. */
export interface ForecastStack {
  id: StackId;
  name: string;
  template: StackTemplate;
  document: TemplateDocument;
  evaluation: EvaluationContext;
  existing: Stack | undefined;
}

export interface ForecastContext {
  env: ResolvedEnvironment;
  clients: ForecastClients;
  signal?: AbortSignal;
  /** The stacks being deployed. */
  stacks: ForecastStack[];
  /** Every stack of the environment as deployed now (undefined: not deployed). */
  deployed: Partial<Record<StackId, Stack>>;
  /** The physical ids of a deployed stack's resources (memoised). */
  owned(stack: Stack): Promise<Set<string>>;
}

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

/** Runs every check for the chosen stacks; never changes anything. */
export async function forecast(options: ForecastOptions): Promise<ForecastResult> {
  const { env, clients, signal } = options;
  const wanted = options.stacks.length === 0 ? [...STACKS] : STACKS.filter((s) => options.stacks.includes(s));
  const deployed: Partial<Record<StackId, Stack>> = {};
  for (const id of STACKS) {
    const stack = await describeStack(clients.cloudformation, stackName(env, id), signal);
    if (stack) deployed[id] = stack;
  }
  const outputs = Object.assign({}, ...STACKS.map((id) => outputsOf(deployed[id])));
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
        pseudo: pseudoParameters(existing?.StackId ?? name, name, env.region),
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

/** How a check ends when it could not ask: no permission, or an endpoint without the API. */
export function couldNotCheck(check: ForecastCheck["check"], subject: string, error: unknown, action: string): ForecastCheck {
  if (isUnavailable(error)) {
    return {
      check,
      subject,
      verdict: "skip",
      detail: `the endpoint has no working ${action}: it answered with an HTML page, not an AWS error (a local emulator); not checked`,
    };
  }
  const traced = toTraceError(error);
  if (traced.code === ErrorCode.accessDenied || traced.code === ErrorCode.credentials) {
    return {
      check,
      subject,
      verdict: "warn",
      detail: `could not check: ${traced.message}`,
      fix: `allow ${action} for the deploying principal`,
    };
  }
  return { check, subject, verdict: "warn", detail: `could not check: ${traced.message}` };
}
