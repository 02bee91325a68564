// The scheduled drill's tasks (issue 26): prepare (read the source, start the restore), poll,
// verify (compare, the day, the report, delete the scratch table), cleanup. The drill stack's state
// machine calls them with {"step": ...}; thin: read the environment, run the one task.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { createDynamoDbClient, createS3Client } from "../src/core/aws/clients";
import { type DrillStepClients, type DrillStepConfig, type DrillTask, runDrillTask } from "../src/core/drill/steps";
import { TraceError, toTraceError } from "../src/core/errors";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv, TIMEOUT_MARGIN_MS } from "./shared/runtime";

export interface DrillHandlerDeps {
  clients: DrillStepClients;
  logger: Logger;
  config: () => DrillStepConfig;
  region: string;
  now?: () => number;
}

const wholeNumber = (name: string, env: NodeJS.ProcessEnv): number => {
  const value = Number(requireEnv(name, env));
  if (!Number.isInteger(value) || value < 0)
    throw new TraceError("USAGE", `${name} must be a whole number, got ${JSON.stringify(env[name])}`);
  return value;
};

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): DrillStepConfig {
  return {
    table: requireEnv(LAMBDA_ENV.tableName, env),
    bucket: requireEnv(LAMBDA_ENV.bucketName, env),
    kmsKeyArn: requireEnv(LAMBDA_ENV.kmsKeyArn, env),
    timeZone: requireEnv(LAMBDA_ENV.timeZone, env),
    retentionDays: wholeNumber(LAMBDA_ENV.retentionDaysOfTable, env),
    slackMs: wholeNumber(LAMBDA_ENV.slackMinutes, env) * 60_000,
    segments: wholeNumber(LAMBDA_ENV.segments, env),
  };
}

export function createHandler(deps: DrillHandlerDeps) {
  let config: DrillStepConfig | undefined;
  return async (task: DrillTask, context?: Pick<Context, "getRemainingTimeInMillis">) => {
    const { logger } = deps;
    const remaining = context?.getRemainingTimeInMillis();
    const budget = remaining ? Math.max(1_000, remaining - TIMEOUT_MARGIN_MS) : undefined;
    const signal = budget ? AbortSignal.timeout(budget) : new AbortController().signal;
    try {
      config ??= deps.config();
      // prepare waits for its restore point to become restorable (~5 minutes) within the function's time.
      const step = {
        clients: deps.clients,
        config,
        reporter: loggerReporter(logger),
        signal,
        now: deps.now,
        restorableWithinMs: budget && budget - 60_000,
      };
      const result = await runDrillTask(step, task, deps.region);
      logger.info("drill task done", { step: task.step, result: task.step === "verify" ? result : undefined });
      return result;
    } catch (error) {
      const traced = toTraceError(error);
      logger.error("drill task failed", { step: task.step, code: traced.code, message: traced.message, hint: traced.hint });
      // Rethrown: the state machine catches it, cleans up and fails the execution, and the alarm fires.
      throw traced instanceof TraceError ? traced : error;
    }
  };
}

const settings = lambdaAwsSettings();
const clients = { dynamodb: createDynamoDbClient(settings), s3: createS3Client(settings) };
export const handler = createHandler({
  clients,
  logger: createLogger("trazabilidad_drill"),
  config: () => configFromEnv(),
  region: settings.region,
});
