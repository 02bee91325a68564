// The day stamper (issue 21), run every minute by EventBridge Scheduler: reads TRAZABILIDAD's
// stream from where it stopped, sets the product's `dia` on every record that lacks it (or has
// it wrong), and publishes the watermark the export checks before it trusts the day index. Thin:
// read the environment, run core's runStamper once within the time left, log what it did.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { createDynamoDbClient, createS3Client } from "../src/core/aws/clients";
import { createStreamsClient } from "../src/core/aws/more-clients";
import { ErrorCode, TraceError, toTraceError } from "../src/core/errors";
import { runStamper, type StamperClients, type StamperConfig } from "../src/core/export/stamp/run";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createMetrics, emit } from "./shared/metrics";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv } from "./shared/runtime";

/** Time kept back from the function's timeout: the ledger is written after the last read. */
export const STAMPER_MARGIN_MS = 15_000;

export interface StamperHandlerDeps {
  clients: StamperClients;
  logger: Logger;
  config: () => StamperConfig;
  /** The function's metrics (lambda/shared/metrics.ts); absent: none emitted. */
  metrics?: Metrics;
  now?: () => number;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): StamperConfig {
  return {
    table: requireEnv(LAMBDA_ENV.tableName, env),
    bucket: requireEnv(LAMBDA_ENV.bucketName, env),
    kmsKeyId: requireEnv(LAMBDA_ENV.kmsKeyArn, env),
    timeZone: requireEnv(LAMBDA_ENV.timeZone, env),
    retentionDays: retentionDaysOf(env),
  };
}

/** TABLE_RETENTION_DAYS: a positive integer (the template sets it from RetentionDays). */
function retentionDaysOf(env: NodeJS.ProcessEnv): number {
  const text = requireEnv(LAMBDA_ENV.retentionDaysOfTable, env);
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1)
    throw new TraceError(ErrorCode.config, `${LAMBDA_ENV.retentionDaysOfTable} must be a positive integer, got ${JSON.stringify(text)}`, {
      hint: "set retentionDays in trace.config.yaml and run `trace deploy traceability`",
    });
  return days;
}

export function createHandler(deps: StamperHandlerDeps) {
  let config: StamperConfig | undefined;
  return async (_event: unknown, context?: Pick<Context, "getRemainingTimeInMillis">) => {
    const { logger } = deps;
    try {
      config ??= deps.config();
      const remaining = context?.getRemainingTimeInMillis() ?? 60_000;
      const result = await runStamper(deps.clients, config, {
        reporter: loggerReporter(logger),
        now: deps.now,
        budgetMs: Math.max(1_000, remaining - STAMPER_MARGIN_MS),
      });
      logger.info("stamper run", { ...result });
      if (result.late > 0) logger.warn("late stamp: export the days named by `trace index status` again", { late: result.late });
      // The alarms' metrics: lag (missing while there is no watermark: the lag alarm treats that as breaching).
      emit(deps.metrics, {
        RecordsStamped: result.stamped,
        UnstampedRecords: result.failures,
        LateStamps: result.late,
        ...(result.lagSeconds === null ? {} : { StamperLagSeconds: result.lagSeconds }),
      });
      return result;
    } catch (error) {
      const traced = toTraceError(error);
      logger.error("stamper failed", { code: traced.code, message: traced.message, hint: traced.hint, error: traced.cause ?? traced });
      throw traced instanceof TraceError ? traced : error;
    }
  };
}

const settings = lambdaAwsSettings();
const clients = { dynamodb: createDynamoDbClient(settings), streams: createStreamsClient(settings), s3: createS3Client(settings) };
export const handler = createHandler({
  clients,
  logger: createLogger("trazabilidad_stamper"),
  metrics: createMetrics("trazabilidad_stamper"),
  config: () => configFromEnv(),
});
