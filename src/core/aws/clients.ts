/**
 * The one place AWS clients are built. Everything else receives clients (or this factory)
 * as parameters, so the same core runs in the CLI, in a Lambda and against the emulator.
 */
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";

export interface AwsSettings {
  region: string;
  /** Named profile from ~/.aws; absent means the default provider chain. */
  profile?: string | undefined;
  /** A custom endpoint (the emulator, a VPC endpoint); absent means real AWS. */
  endpointUrl?: string | undefined;
  /** Static credentials, used for the local emulator only. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** Attempts per request, including the first (adaptive retry mode). */
  maxAttempts?: number;
}

export interface AwsClients {
  readonly settings: AwsSettings;
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly s3: S3Client;
  /** Failure and dead-letter queues (local mode delivers failed stream records there). */
  readonly sqs: SQSClient;
  readonly cloudformation: CloudFormationClient;
  /** Deploy's forecast: account concurrency settings. */
  readonly lambda: LambdaClient;
  /** Deploy's forecast: the data key's state. */
  readonly kms: KMSClient;
  /** Deploy's forecast: log groups that already exist. */
  readonly logs: CloudWatchLogsClient;
  /** Deploy's forecast: the permissions boundary policy. */
  readonly iam: IAMClient;
  /** `export --engine native`: starts and follows the native export's state machine. */
  readonly sfn: SFNClient;
  /** Closes the sockets of every client built so far. */
  destroy(): void;
}

/** Credentials the emulator accepts; never used against real AWS. */
export const EMULATOR_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/**
 * The SDK's logger middleware passes every response through the operation's sensitive-data filter
 * before calling `logger.info`, even when the logger is the default no-op: for a Scan page that is
 * a deep copy of every item, measured at a fifth of the export's CPU (`npm run bench -- export`).
 * It calls `logger.info?.(…)`, so a logger without `info` skips the copy; the rest stay no-ops.
 */
export const quietLogger = { debug() {}, warn() {}, error() {} } as unknown as NonNullable<DynamoDBClientConfig["logger"]>;

function commonConfig(settings: AwsSettings) {
  return {
    region: settings.region,
    logger: quietLogger,
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    retryMode: "adaptive",
    maxAttempts: settings.maxAttempts ?? 8,
  } as const;
}

/** A DynamoDB client. */
export const createDynamoDbClient = (settings: AwsSettings) => new DynamoDBClient(commonConfig(settings));

/** A DynamoDB Streams client (local mode reads the tables' streams with it). */
export const createStreamsClient = (settings: AwsSettings) => new DynamoDBStreamsClient(commonConfig(settings));

/** An S3 client: path-style with a custom endpoint (emulators, VPC endpoints), virtual-host style on AWS. */
export const createS3Client = (settings: AwsSettings) =>
  new S3Client({ ...commonConfig(settings), forcePathStyle: Boolean(settings.endpointUrl) });

export const createSqsClient = (settings: AwsSettings) => new SQSClient(commonConfig(settings));

export const createSfnClient = (settings: AwsSettings) => new SFNClient(commonConfig(settings));

export const createCloudFormationClient = (settings: AwsSettings) => new CloudFormationClient(commonConfig(settings));

export const createLambdaClient = (settings: AwsSettings) => new LambdaClient(commonConfig(settings));

export const createKmsClient = (settings: AwsSettings) => new KMSClient(commonConfig(settings));

export const createLogsClient = (settings: AwsSettings) => new CloudWatchLogsClient(commonConfig(settings));

/** IAM is global; the SDK routes it to the partition's IAM endpoint from any region (or to the custom endpoint). */
export const createIamClient = (settings: AwsSettings) => new IAMClient(commonConfig(settings));

/**
 * Builds clients lazily (a command pays only for the clients it touches) and memoises them.
 * Lambda handlers use the single-client builders above instead, so each bundle carries only
 * the SDK clients its function uses.
 */
export function createAwsClients(settings: AwsSettings): AwsClients {
  const cache = new Map<string, { destroy(): void }>();
  const lazy = <T extends { destroy(): void }>(key: string, make: () => T): T => {
    let client = cache.get(key) as T | undefined;
    if (!client) {
      client = make();
      cache.set(key, client);
    }
    return client;
  };
  const clients: AwsClients = {
    settings,
    get dynamodb() {
      return lazy("dynamodb", () => createDynamoDbClient(settings));
    },
    get streams() {
      return lazy("streams", () => createStreamsClient(settings));
    },
    get s3() {
      return lazy("s3", () => createS3Client(settings));
    },
    get sqs() {
      return lazy("sqs", () => createSqsClient(settings));
    },
    get cloudformation() {
      return lazy("cloudformation", () => createCloudFormationClient(settings));
    },
    get lambda() {
      return lazy("lambda", () => createLambdaClient(settings));
    },
    get kms() {
      return lazy("kms", () => createKmsClient(settings));
    },
    get logs() {
      return lazy("logs", () => createLogsClient(settings));
    },
    get iam() {
      return lazy("iam", () => createIamClient(settings));
    },
    get sfn() {
      return lazy("sfn", () => createSfnClient(settings));
    },
    destroy() {
      for (const client of cache.values()) client.destroy();
      cache.clear();
    },
  };
  return clients;
}
