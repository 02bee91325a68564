// The archiver: invoked by the archive bus rule (REMOVE records forwarded by the Pipe), one
// EventBridge event per invocation. Thin: adapt, call core, return. Failures throw, so
// EventBridge retries and finally hands the event to the dead-letter queue.
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { S3Client } from "@aws-sdk/client-s3";
import { type DynamoDbPort, type KeySchema, keySchemaCache } from "../src/core/archive/key-schema";
import { type ArchiveOutcome, archiveRemoveEvent } from "../src/core/archive/writer";
import { createDynamoDbClient, createS3Client } from "../src/core/aws/clients";
import type { Reporter } from "../src/core/reporter";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createMetrics, emit } from "./shared/metrics";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv } from "./shared/runtime";

export interface ArchiverHandlerDeps {
  s3: Pick<S3Client, "send">;
  /** Used only for items with a sort key (DescribeTable, cached per table). */
  dynamodb: DynamoDbPort;
  bucket: string;
  kmsKeyArn: string;
  reporter: Reporter;
  /** The function's metrics (lambda/shared/metrics.ts); absent: none emitted. */
  metrics?: Metrics;
  /** Override the key-schema lookup (tests); defaults to a DescribeTable cache. */
  keySchema?: (table: string) => Promise<KeySchema>;
  now?: () => Date;
}

/** Builds a handler over injected clients: what local mode and tests call. */
export function createHandler(deps: ArchiverHandlerDeps): (event: unknown) => Promise<ArchiveOutcome> {
  const keySchema = deps.keySchema ?? keySchemaCache(deps.dynamodb);
  return async (event) => {
    try {
      const outcome = await archiveRemoveEvent({ ...deps, keySchema }, event);
      emit(deps.metrics, { DeletionsArchived: outcome.status === "archived" ? 1 : 0 }, {}, { status: outcome.status });
      return outcome;
    } catch (error) {
      emit(deps.metrics, { ArchiveFailures: 1 });
      throw error;
    }
  };
}

// Module scope: warm invocations reuse the clients and the key-schema cache. The environment is
// read on the first invocation so that importing this module (local mode, tests) never throws.
const s3 = createS3Client(lambdaAwsSettings());
const dynamodb = createDynamoDbClient(lambdaAwsSettings());
const logger = createLogger("archiver");
const metrics = createMetrics("archiver");
let deployed: ((event: unknown) => Promise<ArchiveOutcome>) | undefined;

export async function handler(event: unknown): Promise<ArchiveOutcome> {
  deployed ??= createHandler({
    s3,
    dynamodb,
    bucket: requireEnv(LAMBDA_ENV.bucketName),
    kmsKeyArn: requireEnv(LAMBDA_ENV.kmsKeyArn),
    reporter: loggerReporter(logger),
    metrics,
  });
  try {
    return await deployed(event);
  } catch (error) {
    logger.error("archiving failed; EventBridge will retry, then send the event to the dead-letter queue", error as Error);
    throw error;
  }
}
