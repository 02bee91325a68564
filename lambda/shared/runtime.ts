// What every handler shares: clients built once at module scope (warm invocations reuse them),
// the structured logger, a Reporter that writes to it, and typed access to its environment.
import { Logger } from "@aws-lambda-powertools/logger";
import type { AwsSettings } from "../../src/core/aws/clients";
import { ErrorCode, TraceError } from "../../src/core/errors";
import { DEFAULT_SLACK_MS } from "../../src/core/export/request";
import type { Progress, Reporter } from "../../src/core/reporter";
import { LAMBDA_ENV } from "../../src/core/stacks";

export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });
}

/**
 * Settings for the function's own region; AWS_ENDPOINT_URL is honoured for local runs. Handlers
 * pass them to the single-client builders of src/core/aws/clients.ts, so each bundle carries
 * only the SDK clients its function uses.
 */
export function lambdaAwsSettings(env: NodeJS.ProcessEnv = process.env): AwsSettings {
  return { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1", endpointUrl: env.AWS_ENDPOINT_URL };
}

/** A Reporter for unattended runs: everything goes to the structured log; nobody to ask. */
export function loggerReporter(logger: Logger): Reporter {
  const silentProgress = (text: string): Progress => ({
    update: () => {},
    succeed: (t) => logger.info(t ?? text),
    fail: (t) => logger.error(t ?? text),
    stop: () => {},
  });
  return {
    info: (message, data) => logger.info(message, data ?? {}),
    warn: (message, data) => logger.warn(message, data ?? {}),
    debug: (message, data) => logger.debug(message, data ?? {}),
    progress: silentProgress,
    confirm: async (question) => {
      throw new TraceError(ErrorCode.usage, `unattended run cannot confirm: ${question}`);
    },
    choose: async (_question, _choices, fallback) => fallback,
  };
}

/** Reads a required environment variable, failing loudly (a misconfigured function must not guess). */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new TraceError(ErrorCode.usage, `environment variable ${name} is not set for this function`);
  return value;
}

/** `LATE_WRITE_SLACK_MINUTES` in ms: whole minutes from 0 to 1440 (absent: the default, 15). */
export function slackMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const slack = env[LAMBDA_ENV.slackMinutes];
  const minutes = slack === undefined || slack === "" ? DEFAULT_SLACK_MS / 60_000 : Number(slack);
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 24 * 60)
    throw new TraceError(ErrorCode.config, `${LAMBDA_ENV.slackMinutes} must be whole minutes from 0 to 1440, got ${JSON.stringify(slack)}`);
  return minutes * 60_000;
}

/**
 * Stop this long before the Lambda timeout so the upload is aborted cleanly, not cut off; it
 * exceeds the export's commit critical section (COMMIT_BUDGET_MS, 10 s), which a stop arriving
 * just after the upload waits for.
 */
export const TIMEOUT_MARGIN_MS = 15_000;
