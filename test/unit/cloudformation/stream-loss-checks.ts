// Issue 22's requirements on the templates, one function each, each citing the AWS page it
// enforces. stream-losses.test.ts runs them on the templates (they pass) and on the templates as
// they were before the issue (test/fixtures/cloudformation/before-issue-22: they fail).
import { expect } from "vitest";
import {
  INLINE_ENTRY_LIMIT_BYTES,
  LAMBDA_ENRICHMENT_LIMIT_BYTES,
  PUT_EVENTS_LIMIT_BYTES,
  PUT_EVENTS_MAX_ENTRIES,
} from "../../../src/core/archive/event-size";
import { FUNCTIONS, type FunctionId } from "../../../src/core/stacks";
import { allowedActions, asList, type Json, type Resource, resourcesOfType, type Template } from "../../support/cloudformation";
import { alarmOn } from "./checks";

const DAY = 86_400;
const getAtt = (id: string, attribute: string) => ({ "Fn::GetAtt": [id, attribute] });
/** The logical id a `!Ref X`, `!GetAtt X.Arn` or `!Sub "${X.Arn}:<alias>"` names. */
const idOf = (value: Json): string | undefined =>
  value?.Ref ?? value?.["Fn::GetAtt"]?.[0] ?? /^\$\{(\w+)\.Arn\}(:[\w-]+)?$/.exec(String(value?.["Fn::Sub"] ?? ""))?.[1];

/** DynamoDB's maximum item size, 400 KB. */
const MAX_ITEM_BYTES = 400 * 1024;

/**
 * The REMOVE record of the 400 KB item whose JSON is largest: a list of empty strings. By DynamoDB's
 * sizing ("The size of a List or Map is (… attribute name) + sum (size of nested elements) + (3
 * bytes)", "Each List or Map element requires 1 extra byte", a string is its UTF-8 bytes;
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)
 * each element takes 1 byte of the item and 9 of JSON (`{"S":""},`); every other type takes fewer.
 */
export function worstRecord(): unknown {
  const id = { S: "x" };
  const elements = MAX_ITEM_BYTES - ("id".length + 1) - ("l".length + 3);
  const image = { id, l: { L: Array.from({ length: elements }, () => ({ S: "" })) } };
  return { eventID: "e", eventName: "REMOVE", dynamodb: { Keys: { id }, OldImage: image } };
}

/** Its JSON, measured. */
export const WORST_RECORD_JSON_BYTES = JSON.stringify(worstRecord()).length;

/** The handler a function's code key names (FUNCTIONS), or undefined. */
function handlerOf(template: Template, functionRef: Json): FunctionId | undefined {
  const named = template.Resources[idOf(functionRef) ?? ""];
  // An alias invokes its function's code.
  const fn = named?.Type === "AWS::Lambda::Alias" ? template.Resources[idOf(named.Properties.FunctionName) ?? ""] : named;
  if (fn?.Type !== "AWS::Lambda::Function") return undefined;
  const codeKey = idOf(fn.Properties.Code?.S3Key);
  return (Object.keys(FUNCTIONS) as FunctionId[]).find((id) => FUNCTIONS[id].codeKeyParameter === codeKey);
}

const pipes = (template: Template) => resourcesOfType(template, "AWS::Pipes::Pipe");

/**
 * Every deletion fits the bus. PutEvents: "The total entry size must be less than 256KB"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html); a pipe sends
 * up to 10 entries per request to a bus and gives a Lambda enrichment the whole batch, "Lambda
 * function (6MB)" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html).
 * So: the claim-check enrichment on every pipe, and a batch whose entries (each at most
 * INLINE_ENTRY_LIMIT_BYTES after it) stay under 256 KB and whose records, at their largest, fit 6 MB.
 */
export function checkPipesFitTheBus(template: Template): void {
  expect(pipes(template).length).toBeGreaterThan(0);
  for (const [id, pipe] of pipes(template)) {
    expect(handlerOf(template, pipe.Properties.Enrichment), `${id}: Enrichment is archive_claims`).toBe("archiveClaims");
    const batch = pipe.Properties.SourceParameters.DynamoDBStreamParameters.BatchSize ?? 100;
    expect(batch, `${id}: BatchSize`).toBeLessThanOrEqual(PUT_EVENTS_MAX_ENTRIES);
    expect(batch * INLINE_ENTRY_LIMIT_BYTES, `${id}: a PutEvents request of ${batch} entries`).toBeLessThan(PUT_EVENTS_LIMIT_BYTES);
    expect(batch * WORST_RECORD_JSON_BYTES, `${id}: the enrichment's request of ${batch} records`).toBeLessThanOrEqual(
      LAMBDA_ENRICHMENT_LIMIT_BYTES,
    );
  }
}

/** Stream sources with their failure destination: pipes (DeadLetterConfig), mappings (OnFailure). */
function streamSources(template: Template): { id: string; age: number; hasDestination: boolean }[] {
  const fromPipes = pipes(template).map(([id, p]) => {
    const params = p.Properties.SourceParameters.DynamoDBStreamParameters;
    return { id, age: params.MaximumRecordAgeInSeconds ?? -1, hasDestination: Boolean(params.DeadLetterConfig) };
  });
  const fromMappings = resourcesOfType(template, "AWS::Lambda::EventSourceMapping")
    .filter(([, m]) => /StreamArn/.test(JSON.stringify(m.Properties.EventSourceArn)))
    .map(([id, m]) => ({
      id,
      age: m.Properties.MaximumRecordAgeInSeconds ?? -1,
      hasDestination: Boolean(m.Properties.DestinationConfig?.OnFailure),
    }));
  return [...fromPipes, ...fromMappings];
}

/**
 * No record dropped by age while the stream holds it, and none left for the stream to drop
 * silently: MaximumRecordAgeInSeconds at least half the stream's 24 h, and, with a failure
 * destination, an hour or more under it, so the record is still in the stream when its pointer
 * arrives: "make sure that the MaximumRecordAgeInSeconds property on the pipe is less than the
 * MaximumRecordAge of the source event" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-error-troubleshooting.html).
 */
export function checkRecordAge(template: Template): void {
  for (const source of streamSources(template)) {
    if (source.age === -1) continue;
    expect(source.age, `${source.id}: MaximumRecordAgeInSeconds`).toBeGreaterThanOrEqual(DAY / 2);
    if (source.hasDestination) expect(source.age, `${source.id}: MaximumRecordAgeInSeconds`).toBeLessThanOrEqual(DAY - 3600);
  }
}

/**
 * A pipe's dead letter is a pointer, readable only while the stream keeps the record: every pipe's
 * dead-letter queue is consumed by archive_redrive (an SQS event source mapping), which archives
 * from the stream, and parks what it cannot recover in a queue with a depth alarm.
 */
export function checkPipeDeadLettersRedriven(template: Template): void {
  const consumers = resourcesOfType(template, "AWS::Lambda::EventSourceMapping").filter(
    ([, m]) => handlerOf(template, m.Properties.FunctionName) === "archiveRedrive",
  );
  for (const [id, pipe] of pipes(template)) {
    const queueId = idOf(pipe.Properties.SourceParameters.DynamoDBStreamParameters.DeadLetterConfig?.Arn);
    expect(queueId, `${id}: a dead-letter queue`).toBeDefined();
    expect(
      consumers.some(([, m]) => idOf(m.Properties.EventSourceArn) === queueId),
      `${id}: archive_redrive consumes ${queueId}`,
    ).toBe(true);
    const parking = idOf((template.Resources[queueId as string] as Resource).Properties.RedrivePolicy?.deadLetterTargetArn);
    expect(parking, `${queueId}: a redrive policy`).toBeDefined();
    expect(alarmOn(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", getAtt(parking as string, "QueueName"))).toBeDefined();
  }
}

/**
 * A stream mapping's failures are kept whole: "For Amazon S3 destinations, Lambda also sends the
 * entire invocation record along with the metadata"; "For an S3 destination: s3:PutObject and
 * s3:ListBucket" (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
 */
export function checkMappingFailuresKeptWhole(template: Template): void {
  const mappings = resourcesOfType(template, "AWS::Lambda::EventSourceMapping").filter(([, m]) =>
    /StreamArn/.test(JSON.stringify(m.Properties.EventSourceArn)),
  );
  expect(mappings.length).toBeGreaterThan(0);
  for (const [id, mapping] of mappings) {
    const destination = mapping.Properties.DestinationConfig?.OnFailure?.Destination;
    expect(JSON.stringify(destination), `${id}: an S3 bucket on failure`).toMatch(/^\{"Fn::Sub":"arn:\$\{AWS::Partition\}:s3:::/);
    const fn = template.Resources[idOf(mapping.Properties.FunctionName) ?? ""] as Resource;
    const target = fn.Type === "AWS::Lambda::Alias" ? template.Resources[idOf(fn.Properties.FunctionName) ?? ""] : fn;
    const role = template.Resources[idOf(target?.Properties.Role) ?? ""] as Resource;
    const actions = allowedActions(role).map((a) => a.action);
    for (const needed of ["s3:PutObject", "s3:ListBucket", "kms:GenerateDataKey"]) expect(actions, `${id}'s role`).toContain(needed);
  }
}

/**
 * EventBridge sends the rule's dead letters to a queue encrypted with the data key: the key policy
 * lets events.amazonaws.com GenerateDataKey and Decrypt without a condition. AWS documents that
 * statement without one for queues (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html,
 * "Configure KMS permissions for AWS services"), and aws:SourceAccount / aws:SourceArn as not
 * supported in key policies for EventBridge's deliveries to encrypted topics
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
 */
export function checkEventBridgeMayEncryptDeadLetters(base: Template): void {
  const [, key] = resourcesOfType(base, "AWS::KMS::Key")[0] as [string, Resource];
  const statements = asList(key.Properties.KeyPolicy.Statement).filter((s: Json) =>
    asList(s.Principal?.Service ?? []).includes("events.amazonaws.com"),
  );
  expect(statements).toHaveLength(1);
  const [statement] = statements;
  for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) expect(asList(statement.Action)).toContain(action);
  expect(JSON.stringify(statement.Condition ?? {})).not.toMatch(/aws:SourceAccount|aws:SourceArn/i);
}

/**
 * An alarm when the rule cannot put a failed event in its dead-letter queue (the event is then
 * lost): InvocationsFailedToBeSentToDlq, "The number of invocations that couldn't be moved to a
 * dead-letter queue", with EventBusName and RuleName for a custom bus
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
 */
export function checkRuleDeadLetterFailuresAlarm(template: Template): void {
  const alarm = alarmOn(template, "AWS/Events", "InvocationsFailedToBeSentToDlq", {
    "Fn::Select": [1, { "Fn::Split": ["|", { Ref: "ArchiveRule" }] }],
  });
  expect(alarm, "an InvocationsFailedToBeSentToDlq alarm on ArchiveRule").toBeDefined();
  expect(((alarm?.Properties.Dimensions ?? []) as Json[]).map((d) => d.Name).sort()).toEqual(["EventBusName", "RuleName"]);
  expect(alarm?.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
}

/**
 * An alarm on a pipe's first failure that says how long the stream still holds the record: the
 * pointer's arrival in the pipes' dead-letter queue; the time it states is what the pipes'
 * MaximumRecordAgeInSeconds leaves of the stream's 24 hours.
 */
export function checkFirstFailureAlarm(template: Template): void {
  for (const [id, pipe] of pipes(template)) {
    const params = pipe.Properties.SourceParameters.DynamoDBStreamParameters;
    const queueId = idOf(params.DeadLetterConfig?.Arn) as string;
    const alarm = alarmOn(template, "AWS/SQS", "NumberOfMessagesSent", getAtt(queueId, "QueueName"));
    expect(alarm, `${id}: an alarm on the first message of ${queueId}`).toBeDefined();
    expect(alarm?.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
    const left = (DAY - params.MaximumRecordAgeInSeconds) / 3600;
    const description = JSON.stringify(alarm?.Properties.AlarmDescription);
    expect(description).toContain("24 h");
    expect(description).toContain(`at least ${left} h remain`);
  }
}

/**
 * Claim checks outlive every event that names them: the rule retries 24 h, Lambda an asynchronous
 * event 6 h, the dead-letter queue keeps it 14 days; the data bucket expires them after that.
 */
export function checkClaimsOutliveTheirEvents(base: Template, archive: Template): void {
  const [, bucket] = resourcesOfType(base, "AWS::S3::Bucket")[0] as [string, Resource];
  const rule = (bucket.Properties.LifecycleConfiguration.Rules as Json[]).find((r) => r.Prefix === "archive-claims/");
  expect(rule, "a lifecycle rule for archive-claims/").toBeDefined();
  const retention = Math.max(...resourcesOfType(archive, "AWS::SQS::Queue").map(([, q]) => q.Properties.MessageRetentionPeriod as number));
  expect(rule.ExpirationInDays * DAY).toBeGreaterThan(retention + DAY + 6 * 3600);
}

/** A failed Configuration record raises an alarm (the handler returns it as a batch item failure: no Errors). */
export function checkAuditRecordFailureAlarm(audit: Template): void {
  // audit_producer's own metric (EMF, lambda/shared/metrics.ts): records it reported failed.
  const alarm = resourcesOfType(audit, "AWS::CloudWatch::Alarm").find(([, a]) => a.Properties.MetricName === "AuditRecordsFailed");
  expect(alarm, "an alarm on AuditRecordsFailed").toBeDefined();
  expect(alarm?.[1].Properties.Dimensions).toEqual([{ Name: "service", Value: "audit_producer" }]);
}
