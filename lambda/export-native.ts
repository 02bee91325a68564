// The native export's worker (issue 14): every task of the state machine that exports a big day
// through DynamoDB's ExportTableToPointInTime — start, poll, list the files, the Distributed
// Map's two phases, the header, the assembly. Thin: read the environment, run the one task.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { createDynamoDbClient, createS3Client } from "../src/core/aws/clients";
import { TraceError, toTraceError } from "../src/core/errors";
import type { NativeClients } from "../src/core/export/native/job";
import { type NativeStepConfig, type NativeTask, runNativeTask } from "../src/core/export/native/steps";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createMetrics, emit } from "./shared/metrics";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv, slackMsFromEnv, TIMEOUT_MARGIN_MS } from "./shared/runtime";

export interface NativeHandlerDeps {
  clients: NativeClients;
  logger: Logger;
  /** The function's metrics (lambda/shared/metrics.ts); absent: none emitted. */
  metrics?: Metrics;
  config: () => NativeStepConfig;
  now?: () => number;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): NativeStepConfig {
  return {
    table: requireEnv(LAMBDA_ENV.tableName, env),
    bucket: requireEnv(LAMBDA_ENV.bucketName, env),
    kmsKeyArn: requireEnv(LAMBDA_ENV.kmsKeyArn, env),
    timeZone: requireEnv(LAMBDA_ENV.timeZone, env),
    spreadsheetSafe: env[LAMBDA_ENV.spreadsheetSafe] === "true",
    slackMs: slackMsFromEnv(env),
  };
}

const taskName = (task: NativeTask) => ("Items" in task ? task.BatchInput.action : task.action);

export function createHandler(deps: NativeHandlerDeps) {
  let config: NativeStepConfig | undefined;
  return async (task: NativeTask, context?: Pick<Context, "getRemainingTimeInMillis">) => {
    const { logger } = deps;
    const remaining = context?.getRemainingTimeInMillis();
    const signal = remaining ? AbortSignal.timeout(Math.max(1_000, remaining - TIMEOUT_MARGIN_MS)) : new AbortController().signal;
    try {
      config ??= deps.config();
      const result = await runNativeTask(deps.clients, config, task, loggerReporter(logger), signal, deps.now);
      logger.info("task done", { task: taskName(task), files: "Items" in task ? task.Items.length : undefined });
      if (!("Items" in task) && task.action === "assemble") {
        const m = result as { date: string; rows: number; bytes: number | null; readPath: string; complete: boolean };
        emit(
          deps.metrics,
          { ExportedRows: m.rows, ExportedBytes: m.bytes ?? 0 },
          { readPath: m.readPath },
          { date: m.date, complete: String(m.complete) },
        );
      }
      return result;
    } catch (error) {
      const traced = toTraceError(error);
      logger.error("task failed", { task: taskName(task), code: traced.code, message: traced.message, hint: traced.hint });
      emit(deps.metrics, { ExportFailures: 1 });
      // Rethrown: the state machine's Retry/Catch sees the failure, its execution fails and the alarm fires.
      throw traced instanceof TraceError ? traced : error;
    }
  };
}

const clients = { dynamodb: createDynamoDbClient(lambdaAwsSettings()), s3: createS3Client(lambdaAwsSettings()) };
export const handler = createHandler({
  clients,
  logger: createLogger("trazabilidad_native"),
  metrics: createMetrics("trazabilidad_native"),
  config: () => configFromEnv(),
});
