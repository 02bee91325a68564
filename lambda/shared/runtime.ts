// What every handler shares: clients built once at module scope (warm invocations reuse them),
// the structured logger, a Reporter that writes to it, and typed access to its environment.
import { Logger } from "@aws-lambda-powertools/logger";
import type { AwsSettings } from "../../src/core/aws/clients";
import { ErrorCode, TraceError } from "../../src/core/errors";
import type { Progress, Reporter } from "../../src/core/reporter";

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

/**
 * Stop this long before the Lambda timeout so the upload is aborted cleanly, not cut off; it
 * exceeds the export's commit critical section (COMMIT_BUDGET_MS, 10 s), which a stop arriving
 * just after the upload waits for.
 */
export const TIMEOUT_MARGIN_MS = 15_000;
