// The calls no handler code makes but the deployed wiring does (the schedule's invoke, the Pipe's
// PutEvents, the Lambda runtime's logs, services using the data key), the check of every call
// against its principal's policy and the key policy, and README's "who calls what" table.
import type { RecordedCall, Where } from "../../support/call-recorder";
import type { Json } from "../../support/cloudformation";
import {
  allowingStatements,
  dataKeyPolicy,
  keyPolicyAllowing,
  LOG_DELIVERY_ACTIONS,
  type PolicyDocument,
  type ResolveContext,
  XRAY_ACTIONS,
} from "../../support/iam-roles";

const FUNCTIONS: Record<string, string> = {
  ExportRole: "trazabilidad_export",
  StamperRole: "trazabilidad_stamper",
  NativeExportRole: "trazabilidad_native",
  AuditProducerRole: "audit_producer",
  ArchiverRole: "archiver",
  ClaimCheckRole: "archive_claims",
  RedriveRole: "archive_redrive",
  DrillRole: "trazabilidad_drill",
};

/**
 * Calls made by AWS on the wiring's behalf, which no SDK in this project sends: each names the
 * documented reason. Service principals carry the request context their key-policy statement's
 * condition reads.
 */
export function modelledCalls(ctx: ResolveContext, where: Where): RecordedCall[] {
  const key = ctx.values.DataKeyArn as string;
  const prefix = ctx.values.Prefix as string;
  const logGroup = (fn: string) => `arn:aws:logs:${where.region}:${where.account}:log-group:/aws/lambda/${prefix}${fn}`;
  const source = { "aws:SourceAccount": where.account };
  return [
    {
      principal: "SchedulerRole",
      action: "lambda:InvokeFunction",
      resource: ctx.refs.ExportAlias as string,
      implied: "the schedule's target (the alias live)",
    },
    {
      principal: "StamperSchedulerRole",
      action: "lambda:InvokeFunction",
      resource: `${ctx.arns.StamperFunction}:live`,
      implied: "the stamper's schedule, every minute (the alias live)",
    },
    { principal: "PipeRole", action: "events:PutEvents", resource: ctx.arns.ArchiveBus as string, implied: "the Pipe's target" },
    {
      principal: "PipeRole",
      action: "lambda:InvokeFunction",
      resource: `${ctx.arns.ClaimCheckFunction}:live`,
      implied: "the Pipe's enrichment (archive_claims's alias live)",
    },
    ...nativeExportCalls(ctx, where),
    ...drillMachineCalls(ctx, where),
    ...tableKeyCalls(key),
    ...Object.entries(FUNCTIONS).flatMap(([role, fn]) =>
      ["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
        principal: role,
        action,
        resource: `${logGroup(fn)}:log-stream:2026/11/23/[$LATEST]0`,
        implied: "the Lambda runtime writes the function's logs",
      })),
    ),
    ...Object.values(FUNCTIONS).flatMap((fn) =>
      ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({
        principal: "logs",
        action,
        resource: key,
        implied: `log group /aws/lambda/\${Prefix}${fn} encrypted with the data key`,
        context: { "kms:EncryptionContext:aws:logs:arn": logGroup(fn) },
      })),
    ),
    ...["kms:GenerateDataKey", "kms:Decrypt"].flatMap((action) => [
      { principal: "events", action, resource: key, implied: "the archive rule's dead-letter queue is encrypted", context: source },
      { principal: "cloudwatch", action, resource: key, implied: "alarms publish to the encrypted alarm topic", context: source },
    ]),
  ];
}

/**
 * DynamoDB using the tables' and streams' key with the caller's permissions: reading decrypts and
 * describes it, writing also encrypts and makes data keys (KMS Developer Guide, "How Amazon
 * DynamoDB uses AWS KMS"; the split of AWS CDK's table grants).
 */
function tableKeyCalls(key: string): RecordedCall[] {
  const uses: [string, string, readonly string[]][] = [
    ["ExportRole", "TRAZABILIDAD read (Scan, Query)", ["kms:Decrypt", "kms:DescribeKey"]],
    ["PipeRole", "the archived streams read (GetRecords)", ["kms:Decrypt", "kms:DescribeKey"]],
    ["AuditProducerRole", "the Configuration stream read (GetRecords)", ["kms:Decrypt", "kms:DescribeKey"]],
    ["AuditProducerRole", "Audit written (PutItem)", ["kms:Encrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey"]],
    ["StamperRole", "TRAZABILIDAD's stream read (GetRecords), the table read (Scan, GetItem)", ["kms:Decrypt", "kms:DescribeKey"]],
    ["StamperRole", "TRAZABILIDAD written (UpdateItem of dia)", ["kms:Encrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey"]],
    ["RedriveRole", "the archived streams read again (GetRecords)", ["kms:Decrypt", "kms:DescribeKey"]],
    ["DrillRole", "TRAZABILIDAD and its restored scratch table read (Scan, GetItem)", ["kms:Decrypt", "kms:DescribeKey"]],
  ];
  return uses.flatMap(([principal, what, actions]) =>
    actions.map((action) => ({ principal, action, resource: key, implied: `DynamoDB uses the table's key for the caller: ${what}` })),
  );
}

/**
 * The native export's calls made by services on its behalf: DynamoDB writing the export's files
 * with the worker's permissions ("Requesting a table export in DynamoDB"), and the state machine
 * invoking the worker, running the Distributed Maps' child workflows, encrypting its state with
 * the data key and delivering its logs (vended log deliveries take no resource).
 */
function nativeExportCalls(ctx: ResolveContext, where: Where): RecordedCall[] {
  const key = ctx.values.DataKeyArn as string;
  const prefix = ctx.values.Prefix as string;
  const bucket = ctx.values.DataBucketName as string;
  const exportFile = `arn:aws:s3:::${bucket}/native/${prefix}TRAZABILIDAD/dt=2026-11-23/run/export-0/AWSDynamoDB/01234567890123-abcdef12/data/abc.json.gz`;
  const machine = ctx.refs.NativeExportStateMachine as string;
  const child = `arn:aws:states:${where.region}:${where.account}:execution:${prefix}trazabilidad-native-export/CollectColumns:0f1e2d3c`;
  const sm = "NativeExportStateMachineRole";
  const statesLogGroup = `arn:aws:logs:${where.region}:${where.account}:log-group:/aws/vendedlogs/states/${prefix}trazabilidad-native-export`;
  return [
    ...["s3:PutObject", "s3:AbortMultipartUpload"].map((action) => ({
      principal: "NativeExportRole",
      action,
      resource: exportFile,
      implied: "DynamoDB writes the export's files (multipart) with the caller's permissions",
    })),
    {
      principal: "NativeExportRole",
      action: "kms:GenerateDataKey",
      resource: key,
      implied: "the export's files are SSE-KMS (S3SseKmsKeyId)",
    },
    {
      principal: sm,
      action: "lambda:InvokeFunction",
      resource: ctx.refs.NativeExportAlias as string,
      implied: "every task of the state machine (the worker's alias live)",
    },
    { principal: sm, action: "states:StartExecution", resource: machine, implied: "a Distributed Map's child workflows" },
    ...["states:DescribeExecution", "states:StopExecution"].map((action) => ({
      principal: sm,
      action,
      resource: child,
      implied: "a Distributed Map follows and stops its child workflows",
    })),
    ...encryptedMachineCalls({ sm, key, statesLogGroup, machine: "state machine" }),
  ];
}

/**
 * The calls every state machine of the stacks makes as its CMK-encrypted, logged and traced self:
 * its state encrypted with the data key, its logs delivered through a vended log delivery (which
 * takes no resource) into a log group encrypted with the same key, and X-Ray traces.
 */
function encryptedMachineCalls(m: { sm: string; key: string; statesLogGroup: string; machine: string }): RecordedCall[] {
  const { sm, key, statesLogGroup, machine } = m;
  return [
    ...["kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({
      principal: sm,
      action,
      resource: key,
      implied: `the ${machine}'s data is encrypted with the data key (EncryptionConfiguration)`,
    })),
    ...LOG_DELIVERY_ACTIONS.map((action) => ({
      principal: sm,
      action,
      resource: "*",
      implied: "execution logs through a vended log delivery",
    })),
    ...XRAY_ACTIONS.map((action) => ({ principal: sm, action, resource: "*", implied: "X-Ray traces of the executions (tracing on)" })),
    {
      principal: "delivery.logs",
      action: "kms:Decrypt",
      resource: key,
      implied: `the log delivery reads the CMK-encrypted ${machine}'s log records`,
      context: { "kms:EncryptionContext:SourceArn": statesLogGroup },
    },
    ...["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({
      principal: "logs",
      action,
      resource: key,
      implied: `the ${machine}'s log group is encrypted with the data key`,
      context: { "kms:EncryptionContext:aws:logs:arn": statesLogGroup },
    })),
  ];
}

/**
 * The drill stack's calls made by services: the monthly schedule starting the state machine, and
 * the state machine invoking the worker for each task (Prepare, Poll, Verify, CleanUp), encrypting
 * its state with the data key and delivering its logs (vended log deliveries take no resource).
 * moto's Step Functions runs no Lambda task, so none of these is made against the emulator.
 */
function drillMachineCalls(ctx: ResolveContext, where: Where): RecordedCall[] {
  const key = ctx.values.DataKeyArn as string;
  const prefix = ctx.values.Prefix as string;
  const sm = "DrillStateMachineRole";
  const statesLogGroup = `arn:aws:logs:${where.region}:${where.account}:log-group:/aws/vendedlogs/states/${prefix}trazabilidad-drill`;
  return [
    {
      principal: "DrillSchedulerRole",
      action: "states:StartExecution",
      resource: ctx.refs.DrillStateMachine as string,
      implied: "the monthly schedule's target (the drill's state machine)",
    },
    {
      principal: sm,
      action: "lambda:InvokeFunction",
      resource: `${ctx.arns.DrillFunction}:live`,
      implied: "every task of the drill's state machine (the worker's alias)",
    },
    ...encryptedMachineCalls({ sm, key, statesLogGroup, machine: "drill state machine" }),
  ];
}

/**
 * Actions a statement grants that the tests never see called, each with AWS's documented reason.
 * Every other granted action must be used by some recorded or modelled call.
 */
export const DOCUMENTED_UNUSED: Record<string, string> = {
  // https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-eventsourcemapping.html (execution role permissions)
  "AuditProducerRole dynamodb:ListStreams": "listed by AWS for a Lambda DynamoDB stream event source mapping",
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html (DynamoDB source)
  "PipeRole dynamodb:ListStreams": "listed by AWS for a Pipe with a DynamoDB stream source",
  // The archiver reads the key schema only for items with a sort key: test/integration/archive covers it.
  "ArchiverRole dynamodb:DescribeTable": "called only for tables with a sort key (test/integration/archive drives it)",
  "RedriveRole dynamodb:DescribeTable": "called only for tables with a sort key (the archiver's code; test/integration/archive drives it)",
};

const isRole = (principal: string, policies: Record<string, PolicyDocument>) => principal in policies;

/** Each call allowed by its principal's policy (roles) and, for key operations, by the key policy. */
export function checkCalls(calls: RecordedCall[], policies: Record<string, PolicyDocument>, ctx: ResolveContext, account: string) {
  const keyPolicy = dataKeyPolicy(ctx);
  const denied: string[] = [];
  for (const call of calls) {
    const label = `${call.principal} ${call.action} ${call.resource}`;
    if (isRole(call.principal, policies)) {
      if (!allowingStatements(policies[call.principal] as PolicyDocument, call.action, call.resource, call.context).length)
        denied.push(`${label}: no statement of the role`);
      if (
        call.action.startsWith("kms:") &&
        !keyPolicyAllowing(keyPolicy, { role: call.principal }, call.action, call.context ?? {}, account).length
      )
        denied.push(`${label}: key policy does not delegate to IAM`);
    } else if (!keyPolicyAllowing(keyPolicy, { service: call.principal }, call.action, call.context ?? {}, account).length) {
      denied.push(`${label}: no key-policy statement for the service`);
    }
  }
  const unused: string[] = [];
  for (const [role, policy] of Object.entries(policies))
    for (const statement of policy.Statement)
      for (const action of [statement.Action].flat()) {
        const used = calls.some(
          (c) =>
            c.principal === role &&
            allowingStatements({ ...policy, Statement: [{ ...statement, Action: action }] }, c.action, c.resource, c.context).length,
        );
        if (!used && !DOCUMENTED_UNUSED[`${role} ${action}`]) unused.push(`${role}.${statement.Sid} ${action}`);
      }
  return { denied, unused };
}

/** The template form of a resource value (`${DataKeyArn}`, `${ArchiveBus.Arn}`), for a stable table. */
function templateForm(value: Json): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(templateForm).join(", ");
  if ("Ref" in value) return `\${${value.Ref}}`;
  if ("Fn::GetAtt" in value) return `\${${[value["Fn::GetAtt"]].flat().join(".")}}`;
  if ("Fn::Sub" in value) return [value["Fn::Sub"]].flat()[0] as string;
  return JSON.stringify(value);
}

/** The markdown table: one row per principal, action and granting statement. */
export function whoCallsWhat(
  calls: RecordedCall[],
  policies: Record<string, PolicyDocument>,
  ctx: ResolveContext,
  account: string,
  rawStatements: (role: string, sid: string) => Json,
): string {
  const keyPolicy = dataKeyPolicy(ctx);
  const rows = new Map<string, string[]>();
  for (const call of calls) {
    const role = isRole(call.principal, policies);
    const statements = role ? allowingStatements(policies[call.principal] as PolicyDocument, call.action, call.resource, call.context) : [];
    const keyStatements = call.action.startsWith("kms:")
      ? keyPolicyAllowing(
          keyPolicy,
          role ? { role: call.principal } : { service: call.principal },
          call.action,
          call.context ?? {},
          account,
        )
      : [];
    const granted =
      statements.map((s) => `${s.Sid} (\`${templateForm(rawStatements(call.principal, s.Sid as string).Resource)}\`)`).join("; ") || "—";
    const keyGrant = keyStatements.map((s) => s.Sid).join("; ") || "—";
    const how = call.implied ?? "recorded SDK call";
    const principal = role ? call.principal : `${call.principal}.amazonaws.com`;
    rows.set(`${principal} ${call.action} ${granted} ${how}`, [principal, `\`${call.action}\``, granted, keyGrant, how]);
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
  const header = ["principal", "action", "role statement (resource in the template)", "key-policy statement (base.yaml)", "how"];
  // Padded as the formatter (biome) lays out markdown tables, so `biome check` leaves it as it is.
  const widths = header.map((h, i) => Math.max(h.length, ...sorted.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...sorted.map(line), ""].join("\n");
}
