/**
 * How the deployed system delivers stream records, read from the CloudFormation templates (the
 * single source of truth), so the local pump fails and moves on exactly as configured there:
 * - audit.yaml's `AWS::Lambda::EventSourceMapping`: batch size, ReportBatchItemFailures, bisect on
 *   function error, MaximumRetryAttempts, MaximumRecordAgeInSeconds and the on-failure destination
 *   (an SQS queue, or an S3 bucket that keeps the whole batch);
 * - archive.yaml's `AWS::Pipes::Pipe` per table (name, filter, batch size, retries, enrichment,
 *   target parameters, dead-letter queue), the bus rule's EventPattern, and the archiver function's
 *   dead-letter queue and asynchronous retry attempts (an `AWS::Lambda::EventInvokeConfig`, or
 *   Lambda's documented default of 2).
 * Queues are named by the stack output whose value is `!Ref <queue>`, a bucket by the parameter in
 * its ARN (earlier stacks' outputs arrive as parameters of the same name), so the local run finds
 * the deployed resource the same way every other command does.
 */
import { parse as parseYaml, type Tags, type YAMLMap, type YAMLSeq } from "yaml";
import { readTemplate } from "../core/deploy/templates";
import { ErrorCode, TraceError } from "../core/errors";
import { FUNCTIONS, type FunctionId, type OutputKey, STACK_OUTPUTS } from "../core/stacks";

/** Lambda's retry attempts for an asynchronous invocation when no EventInvokeConfig sets them. */
export const LAMBDA_ASYNC_DEFAULT_RETRIES = 2;

/** A Lambda event source mapping for a stream, as the template sets it (AWS defaults otherwise). */
export interface StreamMappingSettings {
  logicalId: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
  bisectBatchOnFunctionError: boolean;
  /** -1: retried until the record expires (the stream keeps it 24 h). */
  maximumRetryAttempts: number;
  /** -1: no age limit. */
  maximumRecordAgeInSeconds: number;
  /** Where a discarded batch goes; absent when the mapping has no destination (it is dropped). */
  onFailure?: FailureDestination;
}

/** An on-failure destination: a queue (its URL's output) or a bucket (its name's output). */
export type FailureDestination = { type: "sqs"; output: OutputKey } | { type: "s3"; output: OutputKey };

/** An EventBridge Pipe from a table stream to the archive bus. */
export interface PipeSettings {
  logicalId: string;
  /** The pipe's Name, `${Stage}` still in it (pipeName() fills it in). */
  name: string;
  /** The stack parameter naming the source stream (e.g. TrazabilidadStreamArn). */
  sourceParameter: string;
  batchSize: number;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
  /** FilterCriteria patterns, applied to the stream record; none means every record. */
  filterPatterns: unknown[];
  /** The Lambda enrichment, by the handler its code key names; absent: records go on as they are. */
  enrichment?: FunctionId;
  /** EventBridgeEventBusParameters: the entries' Source and DetailType. */
  source: string;
  detailType: string;
  deadLetterQueueOutput?: OutputKey;
}

/** The pipe's physical name for a stage. */
export const pipeName = (pipe: Pick<PipeSettings, "name">, stage: string) => pipe.name.replaceAll(`\${Stage}`, stage);

/** The archive rule and its Lambda target, invoked asynchronously by EventBridge. */
export interface ArchiveTargetSettings {
  rulePattern: unknown;
  /** Lambda's own retries of a failed asynchronous invocation. */
  functionRetryAttempts: number;
  /** The function's DeadLetterConfig: where Lambda sends the event after the last retry. */
  functionDeadLetterQueueOutput?: OutputKey;
}

export interface DeliverySettings {
  audit: StreamMappingSettings;
  pipes: PipeSettings[];
  archive: ArchiveTargetSettings;
}

type Json = Record<string, unknown>;
interface Template {
  Resources: Record<string, { Type: string; Properties?: Json }>;
  Outputs: Record<string, { Value: unknown }>;
}

const INTRINSICS = [
  "Base64",
  "Cidr",
  "FindInMap",
  "GetAZs",
  "ImportValue",
  "Join",
  "Select",
  "Split",
  "Sub",
  "If",
  "Equals",
  "Not",
  "And",
  "Or",
];

// Short-form intrinsics in their long JSON form, as CloudFormation reads them.
const CFN_TAGS: Tags = [
  { tag: "!Ref", resolve: (value: string) => ({ Ref: value }) },
  { tag: "!Condition", resolve: (value: string) => ({ Condition: value }) },
  { tag: "!GetAtt", resolve: (value: string) => ({ "Fn::GetAtt": value.split(".", 2) }) },
  { tag: "!GetAtt", collection: "seq", resolve: (seq: unknown) => ({ "Fn::GetAtt": (seq as YAMLSeq).toJSON() }) },
  ...INTRINSICS.flatMap((name) => [
    { tag: `!${name}`, resolve: (value: string) => ({ [`Fn::${name}`]: value }) },
    { tag: `!${name}`, collection: "seq" as const, resolve: (seq: unknown) => ({ [`Fn::${name}`]: (seq as YAMLSeq).toJSON() }) },
    { tag: `!${name}`, collection: "map" as const, resolve: (map: unknown) => ({ [`Fn::${name}`]: (map as YAMLMap).toJSON() }) },
  ]),
] as Tags;

function load(dir: string, stack: "audit" | "archive"): Template & { path: string } {
  const { body, path } = readTemplate(dir, stack);
  const doc = parseYaml(body, { customTags: CFN_TAGS, logLevel: "error" }) as Partial<Template>;
  return { Resources: doc.Resources ?? {}, Outputs: doc.Outputs ?? {}, path };
}

const num = (value: unknown, fallback: number) => (value === undefined ? fallback : Number(value));
const bool = (value: unknown) => value === true || value === "true";

/** The logical id a `!GetAtt X.Arn`, `!Ref X` or `!Sub "${X.Arn}:<alias>"` points at. */
function referenced(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as { Ref?: unknown; "Fn::GetAtt"?: unknown; "Fn::Sub"?: unknown };
  if (typeof v.Ref === "string") return v.Ref;
  if (Array.isArray(v["Fn::GetAtt"])) return String(v["Fn::GetAtt"][0]);
  if (typeof v["Fn::Sub"] === "string") return /^\$\{(\w+)\.Arn\}(:[\w-]+)?$/.exec(v["Fn::Sub"])?.[1];
  return undefined;
}

/** The declared stack output whose value is `!Ref <queue>` (the queue URL). */
function queueUrlOutput(template: Template & { path: string }, target: unknown, what: string): OutputKey | undefined {
  const queue = referenced(target);
  if (!queue) return undefined;
  const declared = Object.values(STACK_OUTPUTS).flat() as string[];
  const isRef = (value: unknown) => typeof value === "object" && value !== null && (value as { Ref?: unknown }).Ref === queue;
  const output = Object.entries(template.Outputs).find(([key, spec]) => isRef(spec.Value) && declared.includes(key));
  if (!output) {
    throw new TraceError(ErrorCode.config, `${template.path}: ${what} sends to ${queue}, but no stack output is !Ref ${queue}`, {
      hint: `add an output with Value: !Ref ${queue} and list it in src/core/stacks.ts STACK_OUTPUTS`,
    });
  }
  return output[0] as OutputKey;
}

/** `!Sub "arn:${AWS::Partition}:s3:::${Name}"`: the bucket's name is the output `Name`. */
function bucketOutput(template: Template & { path: string }, target: unknown, what: string): OutputKey {
  const sub = (target as { "Fn::Sub"?: unknown } | undefined)?.["Fn::Sub"];
  const name = typeof sub === "string" ? /^arn:\$\{AWS::Partition\}:s3:::\$\{([A-Za-z0-9]+)\}$/.exec(sub)?.[1] : undefined;
  const declared = Object.values(STACK_OUTPUTS).flat() as string[];
  if (!name || !declared.includes(name)) {
    throw new TraceError(ErrorCode.config, `${template.path}: ${what} sends to a bucket local mode cannot find`, {
      hint: `write the destination as !Sub "arn:\${AWS::Partition}:s3:::\${<Output>}" with an output of an earlier stack`,
    });
  }
  return name as OutputKey;
}

/** The on-failure destination of a mapping: an SQS queue of this template or a bucket. */
function failureDestination(template: Template & { path: string }, target: unknown, what: string): FailureDestination | undefined {
  if (target === undefined) return undefined;
  if (referenced(target)) {
    const output = queueUrlOutput(template, target, what);
    return output ? { type: "sqs", output } : undefined;
  }
  return { type: "s3", output: bucketOutput(template, target, what) };
}

/** The handler behind `!GetAtt <Function>.Arn`: the FUNCTIONS entry whose code key the function uses. */
function functionOf(template: Template & { path: string }, target: unknown, what: string): FunctionId {
  const fn = template.Resources[referenced(target) ?? ""];
  const codeKey = referenced(((fn?.Properties ?? {}) as { Code?: { S3Key?: unknown } }).Code?.S3Key);
  const id = (Object.keys(FUNCTIONS) as FunctionId[]).find((f) => FUNCTIONS[f].codeKeyParameter === codeKey);
  if (fn?.Type !== "AWS::Lambda::Function" || !id) {
    throw new TraceError(ErrorCode.config, `${template.path}: ${what} is not a function of this template with a known code key`, {
      hint: "point it at !GetAtt <Function>.Arn whose Code.S3Key is a code-key parameter listed in src/core/stacks.ts FUNCTIONS",
    });
  }
  return id;
}

function only(template: Template & { path: string }, type: string): [string, Json] {
  const found = Object.entries(template.Resources).filter(([, r]) => r.Type === type);
  if (found.length !== 1) throw new TraceError(ErrorCode.config, `${template.path}: expected one ${type}, found ${found.length}`);
  const [id, resource] = found[0] as [string, { Properties?: Json }];
  return [id, resource.Properties ?? {}];
}

function patternOf(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

/** Reads the delivery settings from `<dir>/audit.yaml` and `<dir>/archive.yaml`. */
export function readDeliverySettings(dir: string): DeliverySettings {
  const audit = load(dir, "audit");
  const [mappingId, mapping] = only(audit, "AWS::Lambda::EventSourceMapping");
  const onFailure = (mapping.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
  const auditFailures = failureDestination(audit, onFailure, `event source mapping ${mappingId}`);

  const archive = load(dir, "archive");
  const pipes = Object.entries(archive.Resources)
    .filter(([, r]) => r.Type === "AWS::Pipes::Pipe")
    .map(([logicalId, r]): PipeSettings => {
      const props = r.Properties ?? {};
      const source = referenced(props.Source);
      if (!source) throw new TraceError(ErrorCode.config, `${archive.path}: pipe ${logicalId} has no !Ref source stream parameter`);
      const params = ((props.SourceParameters as Json | undefined)?.DynamoDBStreamParameters ?? {}) as Json;
      const filters = ((props.SourceParameters as Json | undefined)?.FilterCriteria as { Filters?: { Pattern: unknown }[] } | undefined)
        ?.Filters;
      const dlq = queueUrlOutput(archive, (params.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn, `pipe ${logicalId}`);
      const bus = ((props.TargetParameters as Json | undefined)?.EventBridgeEventBusParameters ?? {}) as Json;
      const name = (props.Name as { "Fn::Sub"?: unknown } | string | undefined) ?? logicalId;
      return {
        logicalId,
        name: typeof name === "string" ? name : String(name["Fn::Sub"] ?? logicalId),
        sourceParameter: source,
        batchSize: num(params.BatchSize, 100),
        maximumRetryAttempts: num(params.MaximumRetryAttempts, -1),
        maximumRecordAgeInSeconds: num(params.MaximumRecordAgeInSeconds, -1),
        filterPatterns: (filters ?? []).map((f) => patternOf(f.Pattern)),
        ...(props.Enrichment ? { enrichment: functionOf(archive, props.Enrichment, `pipe ${logicalId}'s Enrichment`) } : {}),
        source: String(bus.Source ?? ""),
        detailType: String(bus.DetailType ?? ""),
        ...(dlq ? { deadLetterQueueOutput: dlq } : {}),
      };
    });

  const [ruleId, rule] = only(archive, "AWS::Events::Rule");
  const targets = (rule.Targets ?? []) as { Arn?: unknown }[];
  // The target is the function or its alias (an alias invokes the function's code).
  const viaAlias = (id: string | undefined) =>
    archive.Resources[id ?? ""]?.Type === "AWS::Lambda::Alias" ? referenced(archive.Resources[id ?? ""]?.Properties?.FunctionName) : id;
  const functionId = targets
    .map((t) => viaAlias(referenced(t.Arn)))
    .find((id) => archive.Resources[id ?? ""]?.Type === "AWS::Lambda::Function");
  if (!functionId) throw new TraceError(ErrorCode.config, `${archive.path}: rule ${ruleId} has no Lambda function target`);
  const fn = archive.Resources[functionId]?.Properties ?? {};
  const invokeConfig = Object.values(archive.Resources).find(
    (r) => r.Type === "AWS::Lambda::EventInvokeConfig" && referenced(r.Properties?.FunctionName) === functionId,
  );
  const functionDlq = queueUrlOutput(
    archive,
    (fn.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn,
    `function ${functionId} (DeadLetterConfig)`,
  );

  return {
    audit: {
      logicalId: mappingId,
      batchSize: num(mapping.BatchSize, 100),
      reportBatchItemFailures: ((mapping.FunctionResponseTypes ?? []) as string[]).includes("ReportBatchItemFailures"),
      bisectBatchOnFunctionError: bool(mapping.BisectBatchOnFunctionError),
      maximumRetryAttempts: num(mapping.MaximumRetryAttempts, -1),
      maximumRecordAgeInSeconds: num(mapping.MaximumRecordAgeInSeconds, -1),
      ...(auditFailures ? { onFailure: auditFailures } : {}),
    },
    pipes,
    archive: {
      rulePattern: patternOf(rule.EventPattern),
      functionRetryAttempts: num(invokeConfig?.Properties?.MaximumRetryAttempts, LAMBDA_ASYNC_DEFAULT_RETRIES),
      ...(functionDlq ? { functionDeadLetterQueueOutput: functionDlq } : {}),
    },
  };
}
