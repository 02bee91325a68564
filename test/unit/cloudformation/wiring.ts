// The wiring rules the linters miss, as functions that return the problems they find (empty when
// the templates are wired right), so wiring.test.ts can show each rule both passing on the real
// templates and failing on a mutated one.
import { evaluate } from "../../../src/core/deploy/template-values";
import { asList, type Json, type Resource, subTokens, type Template } from "../../support/cloudformation";
import { wildcardMatch } from "../../support/iam-roles";

const PSEUDO = ["AWS::AccountId", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"];

/**
 * The `Fn::GetAtt` attributes of the resource types these templates use (CloudFormation template
 * reference, "Return values" of each type). A type missing here fails the rule: add it.
 */
export const ATTRIBUTES: Record<string, string[]> = {
  "AWS::DynamoDB::Table": ["Arn", "StreamArn"],
  "AWS::SQS::Queue": ["Arn", "QueueName", "QueueUrl"],
  "AWS::SNS::Topic": ["TopicArn", "TopicName"],
  "AWS::CloudWatch::Alarm": ["Arn"],
  "AWS::Lambda::Function": ["Arn", "SnapStartResponse"],
  "AWS::Lambda::Alias": ["AliasArn"],
  "AWS::Lambda::Version": ["FunctionArn", "Version"],
  "AWS::IAM::Role": ["Arn", "RoleId"],
  "AWS::Logs::LogGroup": ["Arn"],
  "AWS::Events::EventBus": ["Arn", "Name", "Policy"],
  "AWS::Events::Rule": ["Arn"],
  "AWS::Pipes::Pipe": ["Arn", "CreationTime", "CurrentState", "LastModifiedTime", "StateReason"],
  "AWS::Scheduler::Schedule": ["Arn"],
  "AWS::S3::Bucket": ["Arn", "DomainName", "RegionalDomainName"],
  "AWS::KMS::Key": ["Arn", "KeyId"],
  "AWS::Backup::BackupVault": ["BackupVaultArn", "BackupVaultName"],
  "AWS::Backup::BackupPlan": ["BackupPlanArn", "BackupPlanId", "VersionId"],
};

function walk(value: Json, visit: (node: Record<string, Json>) => void): void {
  if (Array.isArray(value)) for (const v of value) walk(v, visit);
  else if (value && typeof value === "object") {
    visit(value);
    for (const v of Object.values(value)) walk(v, visit);
  }
}

/** `${Name}` and `${Name.Attr}` in a Fn::Sub string (not `${!Literal}`), minus its own variables. */
function subNames(sub: Json): string[] {
  const [text, variables] = Array.isArray(sub) ? [sub[0] as string, Object.keys(sub[1] ?? {})] : [sub as string, []];
  return subTokens(text).filter((n) => !variables.includes(n));
}

/**
 * Rule 1: every `Ref`, `Fn::GetAtt` and `${…}` of `Fn::Sub` names a parameter, a pseudo parameter
 * or a resource of the template, every GetAtt attribute exists on that resource's type, and every
 * condition used (on a resource, an output, in `Fn::If` or `Condition`) is declared.
 */
export function referenceProblems(template: Template): string[] {
  const problems: string[] = [];
  const names = new Set([...Object.keys(template.Parameters), ...Object.keys(template.Resources), ...PSEUDO]);
  const attribute = (where: string, id: string, attr: string) => {
    const target = template.Resources[id];
    if (!target) return problems.push(`${where}: GetAtt ${id}.${attr}: no resource ${id}`);
    const known = ATTRIBUTES[target.Type];
    if (!known) return problems.push(`${where}: GetAtt on ${target.Type}: add its attributes to ATTRIBUTES`);
    if (!known.includes(attr)) problems.push(`${where}: GetAtt ${id}.${attr}: ${target.Type} has no attribute ${attr}`);
  };
  const condition = (where: string, name: string) => {
    if (!(name in template.Conditions)) problems.push(`${where}: condition ${name} is not declared`);
  };
  const sections: [string, Json][] = [
    ...Object.entries(template.Resources).map(([id, r]) => [id, r] as [string, Json]),
    ...Object.entries(template.Outputs).map(([id, o]) => [`Outputs.${id}`, o] as [string, Json]),
    ...Object.entries(template.Conditions).map(([id, c]) => [`Conditions.${id}`, c] as [string, Json]),
  ];
  for (const [where, section] of sections) {
    if (typeof section?.Condition === "string") condition(where, section.Condition);
    walk(section, (node) => {
      if (typeof node.Ref === "string" && !names.has(node.Ref)) problems.push(`${where}: Ref ${node.Ref} names nothing`);
      if (node["Fn::GetAtt"]) {
        const [id, attr] = asList(node["Fn::GetAtt"]) as string[];
        attribute(where, id as string, attr as string);
      }
      if (node["Fn::Sub"] !== undefined) {
        for (const name of subNames(node["Fn::Sub"])) {
          const [id, attr] = name.split(".", 2) as [string, string | undefined];
          if (attr) attribute(where, id, attr);
          else if (!names.has(id)) problems.push(`${where}: \${${id}} in Fn::Sub names nothing`);
        }
      }
      if (Array.isArray(node["Fn::If"])) condition(where, node["Fn::If"][0]);
      if (where.startsWith("Conditions.") && typeof node.Condition === "string") condition(where, node.Condition);
    });
  }
  return problems;
}

/** The logical id an ARN-valued property points at (`!GetAtt X.Arn`, `!Ref X`), if it is this template's. */
export function targetId(value: Json): string | undefined {
  if (value?.["Fn::GetAtt"]) return (asList(value["Fn::GetAtt"]) as string[])[0];
  if (typeof value?.Ref === "string") return value.Ref;
  return undefined;
}

/** Who writes to a dead-letter or on-failure queue: a role of the template, or a service principal. */
export interface DeadLetterWriter {
  where: string;
  queue: string | undefined;
  /** An S3 on-failure destination: the parameter naming its bucket (`arn:…:s3:::${<Parameter>}`). */
  bucket?: string | undefined;
  role?: string | undefined;
  service?: string;
}

/** `!Sub "arn:${AWS::Partition}:s3:::${Name}"` → Name. */
const bucketParameter = (destination: Json): string | undefined =>
  typeof destination?.["Fn::Sub"] === "string"
    ? /^arn:\$\{AWS::Partition\}:s3:::\$\{(\w+)\}$/.exec(destination["Fn::Sub"])?.[1]
    : undefined;

function functionRoleOf(template: Template, functionRef: Json): string | undefined {
  let id = targetId(functionRef);
  const alias = id ? template.Resources[id] : undefined;
  if (alias?.Type === "AWS::Lambda::Alias") id = targetId(alias.Properties.FunctionName);
  const fn = id ? template.Resources[id] : undefined;
  return fn?.Type === "AWS::Lambda::Function" ? targetId(fn.Properties.Role) : undefined;
}

/**
 * Every dead-letter and on-failure destination of the template and who sends to it on AWS: a
 * function's asynchronous DLQ and its stream mapping's on-failure queue are written with the
 * function's execution role; a Pipe's with the Pipe's role; a schedule's with the schedule's
 * execution role; a rule target's by EventBridge itself (events.amazonaws.com).
 */
export function deadLetterWriters(template: Template): DeadLetterWriter[] {
  const writers: DeadLetterWriter[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === "AWS::Lambda::Function" && p.DeadLetterConfig)
      writers.push({ where: id, queue: targetId(p.DeadLetterConfig.TargetArn), role: targetId(p.Role) });
    if (r.Type === "AWS::Lambda::EventSourceMapping" && p.DestinationConfig?.OnFailure) {
      const destination = p.DestinationConfig.OnFailure.Destination;
      const bucket = bucketParameter(destination);
      writers.push({
        where: id,
        queue: bucket ? undefined : targetId(destination),
        ...(bucket ? { bucket } : {}),
        role: functionRoleOf(template, p.FunctionName),
      });
    }
    if (r.Type === "AWS::Pipes::Pipe") {
      const dlq =
        p.SourceParameters?.DynamoDBStreamParameters?.DeadLetterConfig ?? p.SourceParameters?.KinesisStreamParameters?.DeadLetterConfig;
      if (dlq) writers.push({ where: id, queue: targetId(dlq.Arn), role: targetId(p.RoleArn) });
    }
    if (r.Type === "AWS::Scheduler::Schedule" && p.Target?.DeadLetterConfig)
      writers.push({ where: id, queue: targetId(p.Target.DeadLetterConfig.Arn), role: targetId(p.Target.RoleArn) });
    if (r.Type === "AWS::Events::Rule")
      for (const t of p.Targets ?? [])
        if (t.DeadLetterConfig)
          writers.push({ where: `${id}.${t.Id}`, queue: targetId(t.DeadLetterConfig.Arn), service: "events.amazonaws.com" });
  }
  return writers;
}

/** Does `pattern` (an IAM action, with wildcards) cover `action`? IAM compares actions case-insensitively. */
const covers = (pattern: string, action: string) => wildcardMatch(pattern, action, true);

/** Does a statement's Resource name the resource `id` (GetAtt/Ref, or inside a Fn::Sub) or the parameter `id`? */
function namesResource(resource: Json, id: string): boolean {
  return asList(resource).some(
    (r: Json) => targetId(r) === id || (r?.["Fn::Sub"] !== undefined && subNames(r["Fn::Sub"]).some((n) => n.split(".")[0] === id)),
  );
}

function roleAllows(role: Resource | undefined, action: string, resourceId: string): boolean {
  const statements = (role?.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement);
  return statements.some(
    (s: Json) => s.Effect === "Allow" && asList(s.Action).some((a: string) => covers(a, action)) && namesResource(s.Resource, resourceId),
  );
}

/** A key-policy statement of base.yaml that lets `service` perform `action`. */
export function keyPolicyAllows(keyPolicy: Json, service: string, action: string): boolean {
  return asList(keyPolicy.Statement).some((s: Json) => {
    const principals = asList(s.Principal?.Service ?? []).map((p: Json) => (typeof p === "string" ? p : (p["Fn::Sub"] as string)));
    const named = principals.some((p: string) => p === service || p.replace(`\${AWS::Region}.`, "") === service);
    return s.Effect === "Allow" && named && asList(s.Action).some((a: string) => covers(a, action));
  });
}

const KEY_ACTIONS_TO_SEND = ["kms:GenerateDataKey", "kms:Decrypt"];

/**
 * Rule 2: every dead-letter/on-failure destination is a queue of the template that its writer may
 * send to (the role's sqs:SendMessage on that queue; for a service, the queue's policy), and, the
 * queue being encrypted with the data key, whose key the writer may use for a send (the role's
 * kms:GenerateDataKey and kms:Decrypt on DataKeyArn; for a service, the key policy).
 */
export function deadLetterProblems(template: Template, keyPolicy: Json): string[] {
  const problems: string[] = [];
  for (const w of deadLetterWriters(template)) {
    if (w.bucket) {
      problems.push(...bucketDestinationProblems(template, w as DeadLetterWriter & { bucket: string }));
      continue;
    }
    const queue = w.queue ? template.Resources[w.queue] : undefined;
    if (queue?.Type !== "AWS::SQS::Queue") {
      problems.push(`${w.where}: its dead-letter target is not a queue of this template`);
      continue;
    }
    const encrypted = targetId(queue.Properties.KmsMasterKeyId) === "DataKeyArn";
    if (w.role !== undefined || w.service === undefined) {
      const role = w.role ? template.Resources[w.role] : undefined;
      if (!roleAllows(role, "sqs:SendMessage", w.queue as string))
        problems.push(`${w.where}: ${w.role ?? "its role"} may not sqs:SendMessage to ${w.queue}`);
      for (const action of encrypted ? KEY_ACTIONS_TO_SEND : [])
        if (!roleAllows(role, action, "DataKeyArn")) problems.push(`${w.where}: ${w.role} may not ${action} on the data key of ${w.queue}`);
      continue;
    }
    const policies = Object.values(template.Resources).filter(
      (r) => r.Type === "AWS::SQS::QueuePolicy" && asList(r.Properties.Queues).some((q: Json) => targetId(q) === w.queue),
    );
    const allowed = policies.some((p) =>
      asList(p.Properties.PolicyDocument.Statement).some(
        (s: Json) =>
          s.Effect === "Allow" &&
          asList(s.Principal?.Service ?? []).includes(w.service) &&
          asList(s.Action).some((a: string) => covers(a, "sqs:SendMessage")),
      ),
    );
    if (!allowed) problems.push(`${w.where}: no queue policy of ${w.queue} lets ${w.service} sqs:SendMessage`);
    for (const action of encrypted ? KEY_ACTIONS_TO_SEND : [])
      if (!keyPolicyAllows(keyPolicy, w.service as string, action))
        problems.push(`${w.where}: the key policy does not let ${w.service} ${action}`);
  }
  return problems;
}

/**
 * An S3 on-failure destination is written with the function's role: "For an S3 destination:
 * s3:PutObject and s3:ListBucket" (docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html);
 * the data bucket encrypts with the data key (SSE-KMS), so the put also needs kms:GenerateDataKey.
 */
function bucketDestinationProblems(template: Template, w: DeadLetterWriter & { bucket: string }): string[] {
  const role = w.role ? template.Resources[w.role] : undefined;
  const problems: string[] = [];
  for (const action of ["s3:PutObject", "s3:ListBucket"])
    if (!roleAllows(role, action, w.bucket))
      problems.push(`${w.where}: ${w.role ?? "its role"} may not ${action} on the bucket ${w.bucket}`);
  if (!roleAllows(role, "kms:GenerateDataKey", "DataKeyArn"))
    problems.push(`${w.where}: ${w.role ?? "its role"} may not kms:GenerateDataKey on the data key of ${w.bucket}`);
  return problems;
}

/**
 * Name limits per resource type and name property (AWS's documented maximum lengths):
 * - Lambda FunctionName 64 (Lambda API CreateFunction: "The length constraint applies only to the full ARN… 64 characters" for the name);
 * - DynamoDB TableName 255 (DynamoDB "Service, account, and table quotas": table names 3-255);
 * - CloudWatch Logs LogGroupName 512 (CreateLogGroup: 1-512);
 * - EventBridge Pipes Name 64 (CreatePipe: 1-64); EventBridge EventBus Name 256 (CreateEventBus: 1-256),
 *   Rule Name 64 (PutRule: 1-64); Scheduler Schedule Name 64 (CreateSchedule: 1-64, ^[0-9a-zA-Z-_.]+$);
 * - SQS QueueName 80 (CreateQueue); SNS TopicName 256 (CreateTopic); IAM RoleName 64 (CreateRole);
 * - S3 BucketName 63 ("Bucket naming rules"); KMS AliasName 256 (CreateAlias);
 * - AWS Backup BackupVaultName, BackupPlanName, SelectionName 50 (CreateBackupVault/Plan/Selection);
 * - Lambda Alias Name 128 (CreateAlias); CloudWatch Logs metric filter FilterName 512 (PutMetricFilter: 1-512).
 */
export const NAME_LIMITS: Record<string, [string, number][]> = {
  "AWS::Lambda::Function": [["FunctionName", 64]],
  "AWS::DynamoDB::Table": [["TableName", 255]],
  "AWS::Logs::LogGroup": [["LogGroupName", 512]],
  "AWS::Pipes::Pipe": [["Name", 64]],
  "AWS::Events::EventBus": [["Name", 256]],
  "AWS::Events::Rule": [["Name", 64]],
  "AWS::Scheduler::Schedule": [["Name", 64]],
  "AWS::SQS::Queue": [["QueueName", 80]],
  "AWS::SNS::Topic": [["TopicName", 256]],
  "AWS::IAM::Role": [["RoleName", 64]],
  "AWS::S3::Bucket": [["BucketName", 63]],
  "AWS::KMS::Alias": [["AliasName", 256]],
  "AWS::Backup::BackupVault": [["BackupVaultName", 50]],
  "AWS::Backup::BackupPlan": [["BackupPlan.BackupPlanName", 50]],
  "AWS::Backup::BackupSelection": [["BackupSelection.SelectionName", 50]],
  "AWS::Lambda::Alias": [["Name", 128]],
  "AWS::Logs::MetricFilter": [["FilterName", 512]],
};

/** Name properties of types not in NAME_LIMITS (FunctionName, TableName there are references, not names). */
const NAME_PROPERTIES = ["Name", "QueueName", "TopicName", "RoleName", "BucketName", "AliasName", "LogGroupName", "AlarmName"];

/**
 * Rule 3: every name a template sets, evaluated with the longest prefix and stage the config
 * allows, fits its type's limit. Names CloudFormation generates (no name property) are its own
 * business, within the limits; a named type missing from NAME_LIMITS fails the rule.
 */
export function nameProblems(
  template: Template,
  parameters: Record<string, string>,
): { problems: string[]; names: Record<string, number> } {
  const problems: string[] = [];
  const names: Record<string, number> = {};
  const pseudo = { "AWS::Region": "ap-southeast-7", "AWS::AccountId": "123456789012", "AWS::Partition": "aws" };
  for (const [id, r] of Object.entries(template.Resources)) {
    const limits = NAME_LIMITS[r.Type];
    if (!limits) {
      const named = Object.keys(r.Properties ?? {}).find((k) => NAME_PROPERTIES.includes(k));
      if (named) problems.push(`${id}: ${r.Type} sets ${named}; add its limit to NAME_LIMITS`);
      continue;
    }
    for (const [path, limit] of limits) {
      const raw = path.split(".").reduce((v: Json, k) => v?.[k], r.Properties);
      if (raw === undefined) continue;
      const value = evaluate(template as never, raw, { parameters, pseudo });
      if (typeof value !== "string") {
        problems.push(`${id}.${path}: cannot be evaluated (${JSON.stringify(raw)})`);
        continue;
      }
      names[`${id}.${path}`] = value.length;
      if (value.length > limit) problems.push(`${id}.${path} "${value}" is ${value.length} characters, over ${limit}`);
    }
  }
  return { problems, names };
}

/**
 * Rule 4: the alias points at a function of the template (and a version of it), every event source
 * mapping at a function or alias of the template and at a stream the template makes or receives.
 */
export function pointerProblems(template: Template): string[] {
  const problems: string[] = [];
  const isType = (id: string | undefined, ...types: string[]) => id !== undefined && types.includes(template.Resources[id]?.Type as string);
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === "AWS::Lambda::Alias") {
      const fn = targetId(p.FunctionName);
      if (!isType(fn, "AWS::Lambda::Function")) problems.push(`${id}: FunctionName is not a function of this template`);
      const version = p.FunctionVersion?.["Fn::GetAtt"] as string[] | undefined;
      if (
        p.FunctionVersion !== "$LATEST" &&
        !(version && version[0] === fn && version[1] === "Version") &&
        !isType(targetId(p.FunctionVersion), "AWS::Lambda::Version")
      )
        problems.push(`${id}: FunctionVersion is neither $LATEST, ${fn}.Version nor a version of this template`);
    }
    if (r.Type === "AWS::Lambda::EventSourceMapping") {
      if (!isType(targetId(p.FunctionName), "AWS::Lambda::Function", "AWS::Lambda::Alias"))
        problems.push(`${id}: FunctionName is not a function or alias of this template`);
      const source = p.EventSourceArn;
      const streamOfTable =
        source?.["Fn::GetAtt"] && (source["Fn::GetAtt"] as string[])[1] === "StreamArn" && isType(targetId(source), "AWS::DynamoDB::Table");
      const streamParameter = typeof source?.Ref === "string" && /StreamArn$/.test(source.Ref) && source.Ref in template.Parameters;
      const queueOfTemplate =
        source?.["Fn::GetAtt"] && (source["Fn::GetAtt"] as string[])[1] === "Arn" && isType(targetId(source), "AWS::SQS::Queue");
      if (!streamOfTable && !streamParameter && !queueOfTemplate)
        problems.push(`${id}: EventSourceArn is neither a table's StreamArn, a stream parameter nor a queue of this template`);
    }
  }
  return problems;
}
