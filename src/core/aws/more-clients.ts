/**
 * The clients only some commands use, each in its own SDK package: DynamoDB Streams, SQS and STS
 * (local mode), Step Functions (the native export), Lambda, KMS, CloudWatch Logs and IAM
 * (deploy's forecast, versions and rollback), EventBridge Scheduler (the smoke test), CloudWatch and
 * Pipes (`trace health`), EventBridge (local destroy). Loaded by `AwsClients.loadMore()` when a command needs them, and imported
 * directly by the Lambda handlers that use one.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { PipesClient } from "@aws-sdk/client-pipes";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import { STSClient } from "@aws-sdk/client-sts";
import { type AwsSettings, commonConfig } from "./client-config";

/** A DynamoDB Streams client (local mode reads the tables' streams with it). */
export const createStreamsClient = (settings: AwsSettings) => new DynamoDBStreamsClient(commonConfig(settings));

export const createSqsClient = (settings: AwsSettings) => new SQSClient(commonConfig(settings));

export const createSfnClient = (settings: AwsSettings) => new SFNClient(commonConfig(settings));

export { createLambdaClient } from "./lambda-client";

export const createKmsClient = (settings: AwsSettings) => new KMSClient(commonConfig(settings));

export const createLogsClient = (settings: AwsSettings) => new CloudWatchLogsClient(commonConfig(settings));

/** IAM is global; the SDK routes it to the partition's IAM endpoint from any region (or to the custom endpoint). */
export const createIamClient = (settings: AwsSettings) => new IAMClient(commonConfig(settings));

/** CloudWatch (`trace health`: alarms, queue ages, iterator age). */
export const createCloudWatchClient = (settings: AwsSettings) => new CloudWatchClient(commonConfig(settings));

/** EventBridge Pipes (`trace health`: each archive Pipe's state). */
export const createPipesClient = (settings: AwsSettings) => new PipesClient(commonConfig(settings));

/** EventBridge: local mode removes the bus a deleted stack leaves in the emulator. */
export const createEventsClient = (settings: AwsSettings) => new EventBridgeClient(commonConfig(settings));

/** `trace smoke`: the export schedule (EventBridge Scheduler). */
export const createSchedulerClient = (settings: AwsSettings) => new SchedulerClient(commonConfig(settings));

/** Local mode: a function's own credentials (its execution role, assumed on the emulator's STS). */
export const createStsClient = (settings: AwsSettings) => new STSClient(commonConfig(settings));
