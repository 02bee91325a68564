/**
 * The forecast's shapes (a check, its result, the context the checks read) and how a check ends
 * when it could not ask. Apart from forecast.ts so the checks (forecast-account.ts,
 * forecast-names.ts) and the runner import them without importing each other.
 */
import type { CloudFormationClient, Stack } from "@aws-sdk/client-cloudformation";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { STSClient } from "@aws-sdk/client-sts";
import type { ResolvedEnvironment } from "../config";
import { ErrorCode, toTraceError } from "../errors";
import type { StackId } from "../stacks";
import type { EvaluationContext, TemplateDocument } from "./template-values";
import type { StackTemplate } from "./templates";
import { isUnavailable } from "./unavailable";

export type ForecastVerdict = "pass" | "warn" | "fail" | "skip";

export interface ForecastCheck {
  /** Stable id of the kind of check (see docs/deploy.md, "Forecast"). */
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

export type Send<T extends { send: unknown }> = Pick<T, "send">;

/** The clients the checks read with (all read-only calls). */
export interface ForecastClients {
  cloudformation: Send<CloudFormationClient>;
  dynamodb: Send<DynamoDBClient>;
  s3: Send<S3Client>;
  lambda: Send<LambdaClient>;
  kms: Send<KMSClient>;
  logs: Send<CloudWatchLogsClient>;
  iam: Send<IAMClient>;
  /** The caller's account (names carry it), when no deployed stack says it. */
  sts?: Send<STSClient>;
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
