// The rules a first real deploy would find broken (issue 23, items 1–7), as functions that return
// the problems they find, each beside the AWS page that states the rule. moto, cfn-lint, checkov
// and parliament accept every one of these breakages; first-deploy.test.ts shows each rule
// passing on the templates and failing on the form they had before the fix.
import { evaluate } from "../../../src/core/deploy/template-values";
import { asList, type Json, type Resource, roleStatements, type Template } from "../../support/cloudformation";
import { wildcardMatch, XRAY_ACTIONS } from "../../support/iam-roles";
import { keyPolicyAllows, targetId } from "./wiring";

type Templates = Record<string, Template>;

/**
 * The characters each named property may hold, as AWS documents them (the CloudFormation resource
 * provider schemas, the "Pattern" in each type's Template Reference page):
 * - AWS::Lambda::Function FunctionName `^([a-zA-Z0-9_-]{1,64}|arn:…)$`
 *   (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html;
 *   API_CreateFunction: `(function:)?([a-zA-Z0-9-_]+)`): no `.`;
 * - AWS::Lambda::Alias Name `^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$`;
 * - AWS::DynamoDB::Table TableName `[a-zA-Z0-9_.-]+`, 3–255 (DynamoDB "Naming rules");
 * - AWS::Logs::LogGroup LogGroupName `^[.\-_/#A-Za-z0-9]{1,512}$`;
 * - AWS::Scheduler::Schedule Name `^[0-9a-zA-Z-_.]+$`; AWS::Pipes::Pipe Name and AWS::Events::Rule Name
 *   `^[\.\-_A-Za-z0-9]+$`; AWS::Events::EventBus Name `^[/\.\-_A-Za-z0-9]+$`;
 * - AWS::StepFunctions::StateMachine StateMachineName: no whitespace, brackets, wildcards or
 *   `" # % \ ^ | ~ \` $ & , ; : /` (CreateStateMachine, "name");
 * - AWS::KMS::Alias AliasName `^(alias/)[a-zA-Z0-9:/_-]+$`;
 * - AWS::S3::Bucket BucketName: lower-case letters, digits, `.` and `-`, starting and ending with a
 *   letter or digit ("General purpose bucket naming rules");
 * - AWS::Backup::BackupVault BackupVaultName `^[a-zA-Z0-9\-\_\.]{2,50}$`.
 */
export const NAME_PATTERNS: Record<string, [string, RegExp][]> = {
  "AWS::Lambda::Function": [["FunctionName", /^[a-zA-Z0-9_-]{1,64}$/]],
  "AWS::Lambda::Alias": [["Name", /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/]],
  "AWS::DynamoDB::Table": [["TableName", /^[a-zA-Z0-9_.-]{3,255}$/]],
  "AWS::Logs::LogGroup": [["LogGroupName", /^[.\-_/#A-Za-z0-9]{1,512}$/]],
  "AWS::Scheduler::Schedule": [["Name", /^[0-9a-zA-Z-_.]+$/]],
  "AWS::Pipes::Pipe": [["Name", /^[.\-_A-Za-z0-9]+$/]],
  "AWS::Events::Rule": [["Name", /^[.\-_A-Za-z0-9]+$/]],
  "AWS::Events::EventBus": [["Name", /^[/.\-_A-Za-z0-9]+$/]],
  "AWS::StepFunctions::StateMachine": [["StateMachineName", /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/]],
  "AWS::KMS::Alias": [["AliasName", /^(alias\/)[a-zA-Z0-9:/_-]+$/]],
  "AWS::S3::Bucket": [["BucketName", /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/]],
  "AWS::Backup::BackupVault": [["BackupVaultName", /^[a-zA-Z0-9\-_.]{2,50}$/]],
};

/** Printable ASCII: the characters a name parameter's pattern is probed with. */
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

/** The printable characters a string parameter's AllowedPattern accepts on their own. */
export function acceptedCharacters(pattern: string): string[] {
  const re = new RegExp(pattern);
  return PRINTABLE.filter((c) => re.test(c));
}

const PSEUDO = { "AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws" };

/**
 * Rule 1 (issue 23 item 1): every name a template sets matches its type's documented pattern, for
 * every character the name-bearing parameter (`Prefix`, `Stage`) accepts: a value CloudFormation
 * takes as a parameter must not be refused by the service at creation, after other resources exist.
 */
export function nameCharacterProblems(template: Template, parameter: string, base: Record<string, string>): string[] {
  const declared = template.Parameters[parameter];
  if (!declared?.AllowedPattern) return declared ? [`${parameter} has no AllowedPattern`] : [];
  const problems: string[] = [];
  for (const c of acceptedCharacters(declared.AllowedPattern)) {
    // A stage must start with a letter: the character is probed after one.
    const value = parameter === "Stage" ? `s${c}` : c;
    for (const [id, r] of Object.entries(template.Resources)) {
      for (const [property, pattern] of NAME_PATTERNS[r.Type] ?? []) {
        const raw = r.Properties?.[property];
        if (raw === undefined) continue;
        const name = evaluate(template as never, raw, { parameters: { ...base, [parameter]: value }, pseudo: PSEUDO });
        if (typeof name === "string" && !pattern.test(name))
          problems.push(`${id}.${property} "${name}" (${parameter} "${value}") does not match ${pattern}`);
      }
    }
  }
  return problems;
}

/** Does some Allow statement of the role grant `action` on a resource `covers` accepts? */
function roleGrants(role: Resource | undefined, action: string, covers: (resource: Json) => boolean): boolean {
  return roleStatements(role ?? ({ Properties: {} } as Resource)).some(
    (s: Json) =>
      s.Effect === "Allow" && asList(s.Action).some((a: string) => wildcardMatch(a, action, true)) && asList(s.Resource).some(covers),
  );
}

const onDataKey = (resource: Json) => resource?.Ref === "DataKeyArn";
const onEverything = (resource: Json) => resource === "*";

function stateMachines(template: Template): [string, Resource, Resource | undefined][] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === "AWS::StepFunctions::StateMachine")
    .map(([id, r]) => {
      const roleId = targetId(r.Properties.RoleArn);
      return [id, r, roleId ? template.Resources[roleId] : undefined];
    });
}

/**
 * Rule 2 (item 2): a state machine encrypted with the customer managed key that logs must let
 * CloudWatch Logs' delivery service decrypt with the key (key policy: `delivery.logs.amazonaws.com`
 * `kms:Decrypt`), and its role must generate data keys for the log delivery
 * (docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html; AWS CDK's StateMachine adds
 * exactly these two statements when both are on, aws-cdk-lib/aws-stepfunctions/lib/state-machine.ts).
 */
export function encryptedLogDeliveryProblems(template: Template, keyPolicy: Json): string[] {
  const problems: string[] = [];
  for (const [id, machine, role] of stateMachines(template)) {
    const p = machine.Properties;
    if (p.EncryptionConfiguration?.Type !== "CUSTOMER_MANAGED_KMS_KEY" || (p.LoggingConfiguration?.Level ?? "OFF") === "OFF") continue;
    if (!keyPolicyAllows(keyPolicy, "delivery.logs.amazonaws.com", "kms:Decrypt"))
      problems.push(
        `${id}: the key policy does not let delivery.logs.amazonaws.com kms:Decrypt (CMK-encrypted state machine with logging)`,
      );
    if (!roleGrants(role, "kms:GenerateDataKey", onDataKey)) problems.push(`${id}: its role may not kms:GenerateDataKey on the data key`);
  }
  return problems;
}

/** Rule 3 (item 3): tracing on means the role may send traces (the page's policy: the four actions on "*"). */
export function tracingProblems(template: Template): string[] {
  return stateMachines(template).flatMap(([id, machine, role]) =>
    machine.Properties.TracingConfiguration?.Enabled === true
      ? XRAY_ACTIONS.filter((a) => !roleGrants(role, a, onEverything)).map((a) => `${id}: tracing is on but its role may not ${a}`)
      : [],
  );
}

/** The states of an Amazon States Language definition, nested map processors included. */
function allStates(definition: Json): [string, Json][] {
  const found: [string, Json][] = [];
  for (const [name, state] of Object.entries((definition?.States ?? {}) as Record<string, Json>)) {
    found.push([name, state]);
    found.push(...allStates(state.ItemProcessor ?? state.Iterator));
  }
  return found;
}

/** A DefinitionString (`Fn::Sub` text) as JSON, its `${…}` replaced by placeholders. */
export function parsedDefinition(machine: Resource): Json {
  const raw = machine.Properties.DefinitionString;
  const text = typeof raw === "string" ? raw : asList(raw?.["Fn::Sub"])[0];
  return JSON.parse(String(text).replace(/\$\{[^}]+\}/g, "x"));
}

/** What a Distributed Map's ResultWriter needs (docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html, "IAM policies"). */
export const RESULT_WRITER_ACTIONS = ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"];

/** Rule 4 (item 4): a Map with a ResultWriter runs under a role that may do all four on objects. */
export function resultWriterProblems(template: Template): string[] {
  const onObjects = (resource: Json) => /:s3:::.*\/.*\*$/.test(String(resource?.["Fn::Sub"] ?? resource));
  return stateMachines(template).flatMap(([id, machine, role]) =>
    allStates(parsedDefinition(machine))
      .filter(([, state]) => state.Type === "Map" && state.ResultWriter)
      .flatMap(([name]) =>
        RESULT_WRITER_ACTIONS.filter((a) => !roleGrants(role, a, onObjects)).map(
          (a) => `${id}.${name}: ResultWriter but its role may not ${a}`,
        ),
      ),
  );
}

/**
 * Key actions a principal needs on a table's (or its stream's) customer managed key: reading decrypts
 * and describes, writing also encrypts and generates data keys (the KMS Developer Guide, "How Amazon
 * DynamoDB uses AWS KMS", docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html; the
 * same split as AWS CDK's table grants, aws-cdk-lib/aws-dynamodb/lib/perms.ts).
 */
export const TABLE_KEY_ACTIONS = {
  read: ["kms:Decrypt", "kms:DescribeKey"],
  write: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey"],
} as const;

const READ_DATA = ["dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:GetRecords"];
const WRITE_DATA = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"];

/** The encrypted table a statement's resource names: a table of the template (`X.Arn`, `${X.Arn}/…`) or another stack's stream output. */
function encryptedTableOf(resource: Json, template: Template, all: Templates): string | undefined {
  const sub = String(resource?.["Fn::Sub"] ?? "");
  const id = targetId(resource) ?? /^\$\{(\w+)\.Arn\}/.exec(sub)?.[1];
  const table = id ? template.Resources[id] : undefined;
  if (table?.Type === "AWS::DynamoDB::Table")
    return table.Properties.SSESpecification?.KMSMasterKeyId?.Ref === "DataKeyArn" ? id : undefined;
  const parameter = typeof resource?.Ref === "string" ? resource.Ref : undefined;
  for (const other of Object.values(all)) {
    const output = parameter ? other.Outputs[parameter] : undefined;
    const source = output ? targetId(output.Value) : undefined;
    const producer = source ? other.Resources[source] : undefined;
    if (producer?.Type === "AWS::DynamoDB::Table" && producer.Properties.SSESpecification?.KMSMasterKeyId?.Ref === "DataKeyArn")
      return `${parameter} (${source})`;
  }
  return undefined;
}

/** Rule 5 (item 5): each role reading or writing an encrypted table or stream may use its key for that. */
export function tableKeyProblems(template: Template, all: Templates): string[] {
  const problems: string[] = [];
  for (const [roleId, role] of Object.entries(template.Resources).filter(([, r]) => r.Type === "AWS::IAM::Role")) {
    const needs = new Map<string, "read" | "write">();
    for (const s of roleStatements(role).filter((s: Json) => s.Effect === "Allow")) {
      const kind = asList(s.Action).some((a: string) => WRITE_DATA.includes(a))
        ? "write"
        : asList(s.Action).some((a: string) => READ_DATA.includes(a))
          ? "read"
          : undefined;
      if (!kind) continue;
      for (const resource of asList(s.Resource)) {
        const table = encryptedTableOf(resource, template, all);
        if (table && needs.get(table) !== "write") needs.set(table, kind);
      }
    }
    for (const [table, kind] of needs)
      for (const action of TABLE_KEY_ACTIONS[kind])
        if (!roleGrants(role, action, onDataKey))
          problems.push(`${roleId}: ${kind}s ${table}, encrypted with the data key, but may not ${action}`);
  }
  return problems;
}

/** The property that names each retainable type (what finds it again once its stack is gone). */
const RETAINED_NAME: Record<string, string> = {
  "AWS::DynamoDB::Table": "TableName",
  "AWS::S3::Bucket": "BucketName",
  "AWS::Backup::BackupVault": "BackupVaultName",
};

/**
 * Rule 6 (item 6): a resource CloudFormation retains when its stack is deleted ("DeletionPolicy
 * attribute": it is kept and no longer managed) must be findable by the next deploy to be imported
 * ("Import AWS resources into a CloudFormation stack": each needs its identifier): it has a fixed
 * name, or, for the KMS key, it is the encryption key of a retained bucket that has one.
 */
export function retainedFindableProblems(template: Template): string[] {
  const problems: string[] = [];
  for (const [id, r] of Object.entries(template.Resources).filter(([, r]) => r.DeletionPolicy === "Retain")) {
    // Versions are retained to be rollback targets; they are found through their function and go with it.
    if (r.Type === "AWS::Lambda::Version") continue;
    if (r.Type === "AWS::KMS::Key") {
      const named = Object.values(template.Resources).some(
        (b) =>
          b.Type === "AWS::S3::Bucket" &&
          b.DeletionPolicy === "Retain" &&
          b.Properties.BucketName !== undefined &&
          asList(b.Properties.BucketEncryption?.ServerSideEncryptionConfiguration ?? []).some(
            (c: Json) => targetId(c.ServerSideEncryptionByDefault?.KMSMasterKeyID) === id,
          ),
      );
      if (!named) problems.push(`${id}: retained, but no retained bucket with a fixed name is encrypted with it`);
      continue;
    }
    const property = RETAINED_NAME[r.Type];
    if (!property) problems.push(`${id}: retained ${r.Type}: add how it is found again to RETAINED_NAME`);
    else if (r.Properties[property] === undefined)
      problems.push(`${id}: retained, but ${property} is generated (nothing can find it after a destroy)`);
  }
  return problems;
}

/** The `<prefix>/` of `arn:…:s3:::${DataBucketName}/<prefix>/*`. */
const dataPrefix = (resource: Json): string | undefined =>
  /\$\{DataBucketName\}\/([^*]+\/)\*$/.exec(String(resource?.["Fn::Sub"] ?? ""))?.[1];

/**
 * Rule 7 (item 7): a prefix where a role keeps work objects it deletes itself (s3:DeleteObject) has a
 * lifecycle rule that removes what a failed run leaves: on the versioned data bucket, expiring the
 * current version only adds a delete marker, so the rule also expires noncurrent versions, and a
 * second rule removes the expired delete markers, which cannot share a rule with Days
 * (docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html).
 * The objects must outlive the longest run that uses them (the state machines' TimeoutSeconds).
 */
export function workPrefixLifecycleProblems(base: Template, others: Template[]): string[] {
  const rules: Json[] = base.Resources.DataBucket?.Properties.LifecycleConfiguration?.Rules ?? [];
  const enabled = rules.filter((r) => r.Status === "Enabled");
  const prefixOf = (r: Json) => r.Prefix ?? r.Filter?.Prefix;
  const problems: string[] = [];
  for (const template of others) {
    const longest = Math.max(0, ...stateMachines(template).map(([, m]) => Number(parsedDefinition(m).TimeoutSeconds ?? 0)));
    for (const [roleId, role] of Object.entries(template.Resources).filter(([, r]) => r.Type === "AWS::IAM::Role")) {
      const prefixes = roleStatements(role)
        .filter((s: Json) => s.Effect === "Allow" && asList(s.Action).includes("s3:DeleteObject"))
        .flatMap((s: Json) => asList(s.Resource).map(dataPrefix))
        .filter((p: string | undefined): p is string => p !== undefined);
      for (const prefix of new Set(prefixes)) {
        const covering = enabled.filter((r) => prefix.startsWith(prefixOf(r) ?? ""));
        const expiry = covering.find((r) => Number(r.ExpirationInDays) > 0);
        if (!expiry) problems.push(`${roleId} keeps work under ${prefix} but no lifecycle rule expires it`);
        else if (Number(expiry.ExpirationInDays) * 86400 <= longest)
          problems.push(`${prefix} expires after ${expiry.ExpirationInDays} day(s), before a run of ${longest} s can end`);
        if (!covering.some((r) => prefixOf(r) === prefix && Number(r.NoncurrentVersionExpiration?.NoncurrentDays) > 0))
          problems.push(`${prefix}: no rule of its own expires its noncurrent versions (the bucket is versioned)`);
        if (!covering.some((r) => r.ExpiredObjectDeleteMarker === true))
          problems.push(`${prefix}: no rule removes its expired delete markers`);
      }
    }
  }
  return problems;
}
