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
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { PipesClient } from "@aws-sdk/client-pipes";
import { S3Client } from "@aws-sdk/client-s3";
import type { SchedulerClient } from "@aws-sdk/client-scheduler";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { STSClient } from "@aws-sdk/client-sts";
import { type AwsSettings, commonConfig } from "./client-config";
import type * as LambdaModule from "./lambda-client";
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
  /** `trace health`: alarms and the queues' and stream's ages. */
  readonly cloudwatch: CloudWatchClient;
  /** `trace health`: the archive Pipes' state. */
  readonly pipes: PipesClient;
  /** `trace smoke`: the export schedule. */
  readonly scheduler: SchedulerClient;
  /** Local mode: a function's execution role, assumed on the emulator. */
  readonly sts: STSClient;
  /**
   * Loads more-clients.ts, which streams, sqs, lambda, kms, logs, iam and sfn need: call it
   * before using one of them (they throw until then, unless the factory was given the module).
   */
  loadMore(): Promise<void>;
  /** Loads only the Lambda client's package (status and rollback need no other). */
  loadLambda(): Promise<void>;
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
/**
 * Collects a response body into one buffer of its Content-Length, copying each chunk in as it
 * arrives. The SDK's own collector keeps every chunk (a Buffer each) until the body ends and then
 * concatenates them: with several Scan pages arriving at once (parallel segments, a fast backend)
 * the chunks outlive the young generation's collections, and their memory, outside the heap, is
 * only freed by a full collection, which V8 starts when such memory has grown by tens of MB
 * (measured: 45–65 MB of array buffers at the peak of a 4-segment export against dynalite;
 * `npm run bench -- export-fast`, docs/export.md). Copied at once, each chunk dies young. A body
 * without a Content-Length is gathered as the SDK does.
 */
async function bodyCollector(stream: unknown): Promise<Uint8Array> {
  const length = Number((stream as { headers?: Record<string, string | undefined> }).headers?.["content-length"]);
  const chunks = stream as AsyncIterable<Buffer>;
  if (!Number.isSafeInteger(length) || length < 0) {
    const all: Buffer[] = [];
    for await (const chunk of chunks) all.push(chunk);
    return Buffer.concat(all);
  }
  const body = Buffer.allocUnsafe(length);
  let at = 0;
  for await (const chunk of chunks) {
    if (at + chunk.length > length) throw new Error(`response body longer than its Content-Length (${length})`);
    at += chunk.copy(body, at);
  }
  return at === length ? body : body.subarray(0, at);
}

export const createDynamoDbClient = (settings: AwsSettings) =>
  new DynamoDBClient({ ...commonConfig(settings), streamCollector: bodyCollector });

/**
 * An S3 client: path-style with a custom endpoint (emulators, VPC endpoints), virtual-host style on
 * AWS. It follows a 301 to a bucket's own region (the DR bucket seen from the home region, when a
 * deploy looks for retained resources).
 */
export const createS3Client = (settings: AwsSettings) =>
  new S3Client({ ...commonConfig(settings), forcePathStyle: Boolean(settings.endpointUrl), followRegionRedirects: true });

export const createCloudFormationClient = (settings: AwsSettings) => new CloudFormationClient(commonConfig(settings));

/**
 * Builds clients lazily (a command pays only for the clients it touches) and memoises them.
 * Lambda handlers use the single-client builders above instead, so each bundle carries only
 * the SDK clients its function uses.
 */
export function createAwsClients(settings: AwsSettings, more?: typeof More): AwsClients {
  let loaded = more;
  let lambdaOnly: typeof LambdaModule | undefined;
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
      return lazy("lambda", () => (lambdaOnly ?? need("lambda")).createLambdaClient(settings));
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
    get cloudwatch() {
      return lazy("cloudwatch", () => need("cloudwatch").createCloudWatchClient(settings));
    },
    get pipes() {
      return lazy("pipes", () => need("pipes").createPipesClient(settings));
    },
    get scheduler() {
      return lazy("scheduler", () => need("scheduler").createSchedulerClient(settings));
    },
    get sts() {
      return lazy("sts", () => need("sts").createStsClient(settings));
    },
    async loadMore() {
      loaded ??= await import("./more-clients");
    },
    async loadLambda() {
      lambdaOnly ??= loaded ?? (await import("./lambda-client"));
    },
    destroy() {
      for (const client of cache.values()) client.destroy();
      cache.clear();
    },
  };
  return clients;
}
