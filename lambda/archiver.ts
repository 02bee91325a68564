// The archiver: invoked by the archive bus rule (REMOVE records forwarded by the Pipe), one
// EventBridge event per invocation. Thin: adapt, call core, return. Failures throw, so
// EventBridge retries and finally hands the event to the dead-letter queue.
import type { S3Client } from "@aws-sdk/client-s3";
import { type DynamoDbPort, type KeySchema, keySchemaCache } from "../src/core/archive/key-schema";
import { type ArchiveOutcome, archiveRemoveEvent } from "../src/core/archive/writer";
import { createDynamoDbClient, createS3Client } from "../src/core/aws/clients";
import type { Reporter } from "../src/core/reporter";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv } from "./shared/runtime";

export interface ArchiverHandlerDeps {
  s3: Pick<S3Client, "send">;
  /** Used only for items with a sort key (DescribeTable, cached per table). */
  dynamodb: DynamoDbPort;
  bucket: string;
  kmsKeyArn: string;
  reporter: Reporter;
  /** Override the key-schema lookup (tests); defaults to a DescribeTable cache. */
  keySchema?: (table: string) => Promise<KeySchema>;
  now?: () => Date;
}

/** Builds a handler over injected clients: what local mode and tests call. */
export function createHandler(deps: ArchiverHandlerDeps): (event: unknown) => Promise<ArchiveOutcome> {
  const keySchema = deps.keySchema ?? keySchemaCache(deps.dynamodb);
  return (event) => archiveRemoveEvent({ ...deps, keySchema }, event);
}

// Module scope: warm invocations reuse the clients and the key-schema cache. The environment is
// read on the first invocation so that importing this module (local mode, tests) never throws.
const s3 = createS3Client(lambdaAwsSettings());
const dynamodb = createDynamoDbClient(lambdaAwsSettings());
const logger = createLogger("archiver");
let deployed: ((event: unknown) => Promise<ArchiveOutcome>) | undefined;

export async function handler(event: unknown): Promise<ArchiveOutcome> {
  deployed ??= createHandler({
    s3,
    dynamodb,
    bucket: requireEnv(LAMBDA_ENV.bucketName),
    kmsKeyArn: requireEnv(LAMBDA_ENV.kmsKeyArn),
    reporter: loggerReporter(logger),
  });
  try {
    return await deployed(event);
  } catch (error) {
    logger.error("archiving failed; EventBridge will retry, then send the event to the dead-letter queue", error as Error);
    throw error;
  }
}
