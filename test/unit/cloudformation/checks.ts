// One function per requirement of the stacks; each throws (through expect) when a template
// breaks it. stacks.test.ts runs them on the real templates, mutations.test.ts proves they fail
// on templates with the requirement removed.
import { expect } from "vitest";
import { FUNCTIONS, type FunctionId, LAMBDA_ENV } from "../../../src/core/stacks";
import {
  allowedActions,
  asList,
  type Json,
  onlyResource,
  type Resource,
  resourcesOfType,
  roleStatements,
  type Template,
} from "../../support/cloudformation";
import { LOG_DELIVERY_ACTIONS, XRAY_ACTIONS } from "../../support/iam-roles";

export const TTL_ATTRIBUTE = "expiresAt";
export const AUDIT_HISTORY_INDEX = "itemKey-modificationTime-index";
/** The archive rule's pattern; the archiver's code keeps the same constant. */
export const ARCHIVE_EVENT_PATTERN = { source: ["trace.archive"], detail: { eventName: ["REMOVE"] } };
const FOURTEEN_DAYS = 14 * 24 * 3600;
const ref = (name: string) => ({ Ref: name });
const getAtt = (logicalId: string, attribute: string) => ({ "Fn::GetAtt": [logicalId, attribute] });

export function table(template: Template, seedName: string): Resource {
  const found = resourcesOfType(template, "AWS::DynamoDB::Table").find(
    ([, resource]) => resource.Properties.TableName?.["Fn::Sub"] === `\${Prefix}${seedName}`,
  );
  expect(found, `a table named \${Prefix}${seedName}`).toBeDefined();
  return (found as [string, Resource])[1];
}

/** TTL on the documented attribute, enabled. */
export function checkTtl(template: Template): void {
  expect(table(template, "TRAZABILIDAD").Properties.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
}

/** Customer-managed key (the base stack's, as a parameter), point-in-time recovery, on-demand, retained. */
export function checkTableProtection(resource: Resource): void {
  expect(resource.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: "KMS", KMSMasterKeyId: ref("DataKeyArn") });
  expect(resource.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  expect(resource.Properties.BillingMode).toBe("PAY_PER_REQUEST");
  expect(resource.DeletionPolicy).toBe("Retain");
  expect(resource.UpdateReplacePolicy).toBe("Retain");
}

export function checkKeySchema(resource: Resource, key: string): void {
  expect(resource.Properties.KeySchema).toEqual([{ AttributeName: key, KeyType: "HASH" }]);
  expect(resource.Properties.AttributeDefinitions).toContainEqual({ AttributeName: key, AttributeType: "S" });
}

export function checkStream(resource: Resource): void {
  expect(resource.Properties.StreamSpecification).toEqual({ StreamViewType: "NEW_AND_OLD_IMAGES" });
}

/** A bucket policy that denies every request not made over TLS, on the bucket and its objects. */
export function checkTlsOnly(template: Template, bucketId: string): void {
  const policies = resourcesOfType(template, "AWS::S3::BucketPolicy").filter(([, policy]) => policy.Properties.Bucket?.Ref === bucketId);
  expect(policies, `a bucket policy on ${bucketId}`).toHaveLength(1);
  const statements: Json[] = asList((policies[0] as [string, Resource])[1].Properties.PolicyDocument.Statement);
  expect(statements).toContainEqual({
    Sid: expect.any(String),
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [getAtt(bucketId, "Arn"), { "Fn::Sub": `\${${bucketId}.Arn}/*` }],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
}

/** Versioned, every public access blocked, owner-enforced. */
export function checkPrivateVersionedBucket(bucket: Resource): void {
  expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: "Enabled" });
  expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  });
  expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] });
  expect(bucket.DeletionPolicy).toBe("Retain");
  expect(bucket.UpdateReplacePolicy).toBe("Retain");
}

/** SSE-KMS with the stage's key and S3 Bucket Keys. */
export function checkDataBucketEncryption(bucket: Resource): void {
  expect(bucket.Properties.BucketEncryption).toEqual({
    ServerSideEncryptionConfiguration: [
      { ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: getAtt("DataKey", "Arn") }, BucketKeyEnabled: true },
    ],
  });
}

/** Lifecycle: exports/ and archive/ move to cheaper classes; non-current versions expire. */
export function checkLifecycle(bucket: Resource): { prefix: string; transitions: { StorageClass: string; TransitionInDays: number }[] }[] {
  const rules: Json[] = bucket.Properties.LifecycleConfiguration.Rules;
  for (const rule of rules) expect(rule.Status).toBe("Enabled");
  const byPrefix = ["exports/", "archive/"].map((prefix) => {
    const rule = rules.find((r) => r.Prefix === prefix);
    expect(rule, `a lifecycle rule for ${prefix}`).toBeDefined();
    expect(rule.Transitions.length).toBeGreaterThan(0);
    for (const transition of rule.Transitions) expect(["STANDARD_IA", "GLACIER_IR", "GLACIER"]).toContain(transition.StorageClass);
    return { prefix, transitions: rule.Transitions };
  });
  const noncurrent = rules.find((r) => r.NoncurrentVersionExpiration && r.Prefix === undefined);
  expect(noncurrent?.NoncurrentVersionExpiration.NoncurrentDays).toBeGreaterThan(0);
  return byPrefix;
}

/** Every role takes the optional permissions boundary. */
export function checkPermissionsBoundary(template: Template): void {
  const roles = resourcesOfType(template, "AWS::IAM::Role");
  if (roles.length === 0) return;
  expect(template.Parameters.PermissionsBoundaryArn).toMatchObject({ Type: "String", Default: "" });
  expect(template.Conditions.HasPermissionsBoundary).toEqual({ "Fn::Not": [{ "Fn::Equals": [ref("PermissionsBoundaryArn"), ""] }] });
  for (const [id, role] of roles) {
    expect(role.Properties.PermissionsBoundary, id).toEqual({
      "Fn::If": ["HasPermissionsBoundary", ref("PermissionsBoundaryArn"), ref("AWS::NoValue")],
    });
  }
}

/**
 * Actions IAM cannot scope to a resource (the Service Authorization Reference lists "*"), X-Ray's
 * trace writes included ("IAM policies for AWS X-Ray in Step Functions": Resource "*").
 */
const ACTIONS_WITHOUT_RESOURCE = ["dynamodb:ListStreams", ...LOG_DELIVERY_ACTIONS, ...XRAY_ACTIONS];

/** No wildcard actions or resources in any inline policy, and one service per trust policy. */
export function checkLeastPrivilege(template: Template): void {
  for (const [id, role] of resourcesOfType(template, "AWS::IAM::Role")) {
    const trust = asList(role.Properties.AssumeRolePolicyDocument.Statement);
    expect(trust, id).toHaveLength(1);
    expect(Object.keys(trust[0].Principal), id).toEqual(["Service"]);
    for (const statement of roleStatements(role)) {
      for (const action of asList(statement.Action) as string[]) expect(action, id).not.toMatch(/(^\*$|:\*$)/);
      // Only actions that take no resource (IAM reference: "Resource types: *") may name "*".
      const unscoped = asList(statement.Action).every((a: string) => ACTIONS_WITHOUT_RESOURCE.includes(a));
      for (const resource of asList(statement.Resource)) if (!unscoped) expect(resource, id).not.toBe("*");
    }
  }
}

export function checkQueues(template: Template): void {
  for (const [id, queue] of resourcesOfType(template, "AWS::SQS::Queue")) {
    expect(queue.Properties.KmsMasterKeyId, id).toEqual(ref("DataKeyArn"));
    expect(queue.Properties.MessageRetentionPeriod, id).toBe(FOURTEEN_DAYS);
  }
}

export function checkAlarmsNotifyTopic(template: Template): void {
  const alarms = resourcesOfType(template, "AWS::CloudWatch::Alarm");
  expect(alarms.length).toBeGreaterThan(0);
  for (const [id, alarm] of alarms) expect(alarm.Properties.AlarmActions, id).toEqual([ref("AlarmTopicArn")]);
}

/** The alarm on a metric for a resource (by dimension value), or undefined. */
export function alarmOn(template: Template, namespace: string, metric: string, dimensionValue: Json): Resource | undefined {
  return resourcesOfType(template, "AWS::CloudWatch::Alarm")
    .map(([, alarm]) => alarm)
    .find(
      (alarm) =>
        alarm.Properties.Namespace === namespace &&
        alarm.Properties.MetricName === metric &&
        ((alarm.Properties.Dimensions ?? []) as Json[]).some((d) => JSON.stringify(d.Value) === JSON.stringify(dimensionValue)),
    );
}

/** A dead-letter queue's depth alarm fires on the first message. */
export function checkDeadLetterAlarm(template: Template, queueId: string): void {
  const alarm = alarmOn(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", getAtt(queueId, "QueueName"));
  expect(alarm, `a depth alarm on ${queueId}`).toBeDefined();
  expect(alarm?.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: "GreaterThanThreshold" });
}

const SEED_FUNCTION_NAMES: Record<FunctionId, string> = {
  export: "trazabilidad_export",
  exportNative: "trazabilidad_native",
  stamper: "trazabilidad_stamper",
  auditProducer: "audit_producer",
  archiver: "archiver",
  archiveClaims: "archive_claims",
  archiveRedrive: "archive_redrive",
  drill: "trazabilidad_drill",
};

const FUNCTION_ENV: Record<FunctionId, string[]> = {
  export: [
    LAMBDA_ENV.tableName,
    LAMBDA_ENV.bucketName,
    LAMBDA_ENV.kmsKeyArn,
    LAMBDA_ENV.timeZone,
    LAMBDA_ENV.segments,
    LAMBDA_ENV.spreadsheetSafe,
    LAMBDA_ENV.nativeStateMachineArn,
    LAMBDA_ENV.nativeAboveRows,
    LAMBDA_ENV.retentionDaysOfTable,
    LAMBDA_ENV.slackMinutes,
  ],
  exportNative: [
    LAMBDA_ENV.tableName,
    LAMBDA_ENV.bucketName,
    LAMBDA_ENV.kmsKeyArn,
    LAMBDA_ENV.timeZone,
    LAMBDA_ENV.spreadsheetSafe,
    LAMBDA_ENV.slackMinutes,
  ],
  stamper: [LAMBDA_ENV.tableName, LAMBDA_ENV.bucketName, LAMBDA_ENV.kmsKeyArn, LAMBDA_ENV.timeZone, LAMBDA_ENV.retentionDaysOfTable],
  auditProducer: [LAMBDA_ENV.auditTableName],
  archiver: [LAMBDA_ENV.bucketName, LAMBDA_ENV.kmsKeyArn, LAMBDA_ENV.retentionDays],
  archiveClaims: [LAMBDA_ENV.bucketName, LAMBDA_ENV.kmsKeyArn],
  archiveRedrive: [LAMBDA_ENV.bucketName, LAMBDA_ENV.kmsKeyArn, LAMBDA_ENV.parkingQueueUrl],
  drill: [
    LAMBDA_ENV.tableName,
    LAMBDA_ENV.bucketName,
    LAMBDA_ENV.kmsKeyArn,
    LAMBDA_ENV.timeZone,
    LAMBDA_ENV.retentionDaysOfTable,
    LAMBDA_ENV.slackMinutes,
    LAMBDA_ENV.segments,
  ],
};

/** The function, its packaging, its environment names, and its log group with retention. */
export function checkFunction(template: Template, id: FunctionId): [string, Resource] {
  const name = SEED_FUNCTION_NAMES[id];
  const [logicalId, fn] = functionNamed(template, name);
  expect(fn.Properties).toMatchObject({
    FunctionName: { "Fn::Sub": `\${Prefix}${name}` },
    Runtime: "nodejs22.x",
    Architectures: ["arm64"],
    Handler: "index.handler",
    Code: { S3Bucket: ref("ArtifactBucketName"), S3Key: ref(FUNCTIONS[id].codeKeyParameter) },
  });
  expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(
    [...FUNCTION_ENV[id], LAMBDA_ENV.serviceName, LAMBDA_ENV.logLevel, LAMBDA_ENV.metricsNamespace].sort(),
  );
  const [groupId, group] = ownLogGroup(template, fn);
  expect(group.Properties).toEqual({
    LogGroupName: { "Fn::Sub": `/aws/lambda/\${Prefix}${name}` },
    RetentionInDays: ref("LogRetentionDays"),
    KmsKeyId: ref("DataKeyArn"),
  });
  expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: ref(groupId), LogFormat: "JSON" });
  expect(template.Parameters.LogRetentionDays).toMatchObject({ Type: "Number", Default: 14 });
  const errors = alarmOn(template, "AWS/Lambda", "Errors", ref(logicalId));
  expect(errors, `an Errors alarm on ${logicalId}`).toBeDefined();
  return [logicalId, fn];
}

/** The function whose FunctionName is `${Prefix}<name>`. */
export function functionNamed(template: Template, name: string): [string, Resource] {
  const found = resourcesOfType(template, "AWS::Lambda::Function").filter(
    ([, fn]) => fn.Properties.FunctionName?.["Fn::Sub"] === `\${Prefix}${name}`,
  );
  expect(found, `one function named \${Prefix}${name}`).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The log group the function logs to (its LoggingConfig). */
function ownLogGroup(template: Template, fn: Resource): [string, Resource] {
  const groupId = fn.Properties.LoggingConfig?.LogGroup?.Ref as string;
  const group = template.Resources[groupId];
  expect(group?.Type, `the function's log group ${groupId}`).toBe("AWS::Logs::LogGroup");
  return [groupId, group as Resource];
}

/** The role may write logs only to its function's own log group. */
export function checkLogsOnlyToOwnGroup(template: Template, role: Resource): void {
  const fn = resourcesOfType(template, "AWS::Lambda::Function")
    .map(([, f]) => f)
    .find((f) => template.Resources[f.Properties.Role["Fn::GetAtt"][0]] === role);
  expect(fn, "the role's function").toBeDefined();
  const [groupId] = ownLogGroup(template, fn as Resource);
  for (const { action, resources } of allowedActions(role).filter((a) => a.action.startsWith("logs:"))) {
    expect(["logs:CreateLogStream", "logs:PutLogEvents"]).toContain(action);
    expect(resources).toEqual([getAtt(groupId, "Arn")]);
  }
}

/** The role of a Lambda function, from its Role property. */
export function functionRole(template: Template, fn: Resource): Resource {
  const roleId = fn.Properties.Role["Fn::GetAtt"][0] as string;
  const role = template.Resources[roleId];
  expect(role?.Type).toBe("AWS::IAM::Role");
  return role as Resource;
}

/** Actions of a role that touch a service, e.g. "s3". */
export const actionsFor = (role: Resource, service: string) => allowedActions(role).filter((a) => a.action.startsWith(`${service}:`));

/** Pipes of the archive stack, by the table they read. */
export function archivePipes(template: Template): Record<string, Resource> {
  const pipes: Record<string, Resource> = {};
  for (const [, pipe] of resourcesOfType(template, "AWS::Pipes::Pipe")) pipes[pipe.Properties.Source.Ref] = pipe;
  return pipes;
}

/** One Pipe per seed table: stream source tuned as required, DLQ, filtered to REMOVE, claim checks, onto the bus. */
export function checkArchivePipe(template: Template, streamParameter: string, condition: string): void {
  const pipe = archivePipes(template)[streamParameter];
  expect(pipe, `a pipe reading ${streamParameter}`).toBeDefined();
  expect(pipe?.Condition).toBe(condition);
  // Why these values: docs/archive.md "Limits and recovery"; the limits: stream-losses.test.ts.
  expect(pipe?.Properties.SourceParameters.DynamoDBStreamParameters).toEqual({
    StartingPosition: "LATEST",
    BatchSize: 1,
    ParallelizationFactor: 10,
    MaximumRetryAttempts: 3,
    MaximumRecordAgeInSeconds: 43200,
    DeadLetterConfig: { Arn: getAtt("PipeDeadLetterQueue", "Arn") },
  });
  expect(pipe?.Properties.Enrichment).toEqual({ "Fn::Sub": `\${ClaimCheckFunction.Arn}:live` });
  expect(pipe?.DependsOn).toBe("ClaimCheckAlias");
  expect(pipe?.Properties.Target).toEqual(getAtt("ArchiveBus", "Arn"));
  expect(pipe?.Properties.TargetParameters).toEqual({
    EventBridgeEventBusParameters: { Source: "trace.archive", DetailType: "DynamoDB Stream Record" },
  });
  const filters = pipe?.Properties.SourceParameters.FilterCriteria.Filters.map((f: Json) => JSON.parse(f.Pattern));
  expect(filters).toEqual([{ eventName: ["REMOVE"] }]);
}

/** The rule on the bus: exactly the REMOVE pattern, to the archiver, with retries and the DLQ. */
export function checkArchiveRule(template: Template): void {
  const [, rule] = onlyResource(template, "AWS::Events::Rule");
  expect(rule.Properties.EventBusName).toEqual(getAtt("ArchiveBus", "Name"));
  expect(rule.Properties.EventPattern).toEqual(ARCHIVE_EVENT_PATTERN);
  expect(rule.Properties.State).toBe("ENABLED");
  expect(rule.Properties.Targets).toHaveLength(1);
  const target = rule.Properties.Targets[0];
  // The alias live, never $LATEST (docs/deploy.md, "Versions and rollback"), its ARN built from the function's.
  expect(target.Arn).toEqual({ "Fn::Sub": `\${ArchiverFunction.Arn}:live` });
  expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThan(0);
  expect(target.DeadLetterConfig).toEqual({ Arn: getAtt("ArchiveDeadLetterQueue", "Arn") });
}

/** The dead-letter queues the issue names, each KMS-encrypted with 14 days' retention and an alarm. */
export function checkDeadLetterQueues(template: Template, queueIds: string[]): void {
  for (const queueId of queueIds) {
    const queue = template.Resources[queueId];
    expect(queue?.Type, queueId).toBe("AWS::SQS::Queue");
    checkDeadLetterAlarm(template, queueId);
  }
  checkQueues(template);
}
