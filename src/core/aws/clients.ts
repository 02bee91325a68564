/**
 * The one place AWS clients are built. Everything else receives clients (or this factory)
 * as parameters, so the same core runs in the CLI, in a Lambda and against the emulator.
 * The clients every job uses (DynamoDB, S3, CloudFormation) are built here; those only some
 * commands use (streams, SQS, Step Functions, and deploy's forecast: Lambda, KMS, Logs, IAM)
 * are built by more-clients.ts, loaded when a command asks for them (`loadMore`): loading their
 * SDK packages into every process made the export's heap grow ~50 MB more at 1M rows
 * (`npm run bench -- export`, docs/export.md).
 */

import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { type AwsSettings, commonConfig } from "./client-config";
import type * as More from "./more-clients";

export type { AwsSettings } from "./client-config";

export interface AwsClients {
  readonly settings: AwsSettings;
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly s3: S3Client;
  /** Failure and dead-letter queues (local mode delivers failed stream records there). */
  readonly sqs: SQSClient;
  readonly cloudformation: CloudFormationClient;
  /** CloudFormation in another region: the DR stack lives in the environment's drRegion. */
  cloudformationIn(region: string): CloudFormationClient;
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
  /**
   * Loads more-clients.ts, which streams, sqs, lambda, kms, logs, iam and sfn need: call it
   * before using one of them (they throw until then, unless the factory was given the module).
   */
  loadMore(): Promise<void>;
  /** Closes the sockets of every client built so far. */
  destroy(): void;
}

/** Clients with more-clients.ts loaded: every client usable at once (deploy's forecast). */
export async function createAllAwsClients(settings: AwsSettings): Promise<AwsClients> {
  return createAwsClients(settings, await import("./more-clients"));
}

/** Credentials the emulator accepts; never used against real AWS. */
export const EMULATOR_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/** A DynamoDB client. */
export const createDynamoDbClient = (settings: AwsSettings) => new DynamoDBClient(commonConfig(settings));

/** An S3 client: path-style with a custom endpoint (emulators, VPC endpoints), virtual-host style on AWS. */
export const createS3Client = (settings: AwsSettings) =>
  new S3Client({ ...commonConfig(settings), forcePathStyle: Boolean(settings.endpointUrl) });

export const createCloudFormationClient = (settings: AwsSettings) => new CloudFormationClient(commonConfig(settings));

/**
 * Builds clients lazily (a command pays only for the clients it touches) and memoises them.
 * Lambda handlers use the single-client builders above instead, so each bundle carries only
 * the SDK clients its function uses.
 */
export function createAwsClients(settings: AwsSettings, more?: typeof More): AwsClients {
  let loaded = more;
  const need = (name: string): typeof More => {
    if (!loaded) throw new Error(`the ${name} client is not loaded: await clients.loadMore() before using it`);
    return loaded;
  };
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
      return lazy("streams", () => need("streams").createStreamsClient(settings));
    },
    get s3() {
      return lazy("s3", () => createS3Client(settings));
    },
    get sqs() {
      return lazy("sqs", () => need("sqs").createSqsClient(settings));
    },
    get cloudformation() {
      return lazy("cloudformation", () => createCloudFormationClient(settings));
    },
    cloudformationIn(region) {
      if (region === settings.region) return clients.cloudformation;
      return lazy(`cloudformation:${region}`, () => createCloudFormationClient({ ...settings, region }));
    },
    get lambda() {
      return lazy("lambda", () => need("lambda").createLambdaClient(settings));
    },
    get kms() {
      return lazy("kms", () => need("kms").createKmsClient(settings));
    },
    get logs() {
      return lazy("logs", () => need("logs").createLogsClient(settings));
    },
    get iam() {
      return lazy("iam", () => need("iam").createIamClient(settings));
    },
    get sfn() {
      return lazy("sfn", () => need("sfn").createSfnClient(settings));
    },
    async loadMore() {
      loaded ??= await import("./more-clients");
    },
    destroy() {
      for (const client of cache.values()) client.destroy();
      cache.clear();
    },
  };
  return clients;
}
