// parliament (duo-labs, PyPI, pinned in scripts/requirements-emulator.txt) over every role's
// policy and the data key's policy, resolved from the templates as IAM would receive them. It
// checks actions and resources against AWS's IAM reference (unknown actions, resources an action
// cannot take, conditions an action does not support, malformed ARNs), which cfn-lint and checkov
// do not. Zero findings, or each one listed below with the reason it is accepted.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StackId } from "../../../src/core/stacks";
import { loadTemplate, resourcesOfType } from "../../support/cloudformation";
import { dataKeyPolicy, type ResolveContext, rolePolicy } from "../../support/iam-roles";
import { projectRoot } from "../../support/paths";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;

// Concrete values for every name a policy uses, as a deploy of stage "prod", prefix "prod-" gives them.
const context: ResolveContext = {
  values: {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::StackName": "trace-prod-x",
    Prefix: "prod-",
    Stage: "prod",
    DataBucketName: "trace-prod-base-databucket-1a2b3c4d5e6f",
    ArtifactBucketName: "trace-bootstrap-artifactbucket-1a2b3c4d5e6f",
    DataKeyArn: arn("kms", "key/11111111-2222-3333-4444-555555555555"),
    AlarmTopicArn: arn("sns", "trace-prod-base-AlarmTopic-ABC"),
    PermissionsBoundaryArn: "",
    TrazabilidadStreamArn: arn("dynamodb", "table/prod-TRAZABILIDAD/stream/2026-11-24T00:00:00.000"),
    ConfigurationStreamArn: arn("dynamodb", "table/prod-Configuration/stream/2026-11-24T00:00:00.000"),
    ArchiveTrazabilidad: "true",
    ArchiveConfiguration: "true",
    EnableBackups: "true",
    AlarmEmail: "",
    DayIndex: "true",
    TrazabilidadTableName: "prod-TRAZABILIDAD",
  },
  refs: {
    NativeExportStateMachine: arn("states", "stateMachine:prod-trazabilidad-native-export"),
    DrillStateMachine: arn("states", "stateMachine:prod-trazabilidad-drill"),
    ExportAlias: arn("lambda", "function:prod-trazabilidad_export:live"),
    NativeExportAlias: arn("lambda", "function:prod-trazabilidad_native:live"),
  },
  arns: {
    TrazabilidadTable: arn("dynamodb", "table/prod-TRAZABILIDAD"),
    NativeExportFunction: arn("lambda", "function:prod-trazabilidad_native"),
    NativeExportLogGroup: arn("logs", "log-group:/aws/lambda/prod-trazabilidad_native:*"),
    ConfigurationTable: arn("dynamodb", "table/prod-Configuration"),
    AuditTable: arn("dynamodb", "table/prod-Audit"),
    ExportDeadLetterQueue: arn("sqs", "trace-prod-traceability-ExportDeadLetterQueue-ABC"),
    ArchiveDeadLetterQueue: arn("sqs", "trace-prod-archive-ArchiveDeadLetterQueue-ABC"),
    PipeDeadLetterQueue: arn("sqs", "trace-prod-archive-PipeDeadLetterQueue-ABC"),
    ClaimCheckFunction: arn("lambda", "function:prod-archive_claims"),
    ExportFunction: arn("lambda", "function:prod-trazabilidad_export"),
    ArchiveBus: arn("events", "event-bus/trace-prod-archive"),
    ExportLogGroup: arn("logs", "log-group:/aws/lambda/prod-trazabilidad_export:*"),
    StamperLogGroup: arn("logs", "log-group:/aws/lambda/prod-trazabilidad_stamper:*"),
    StamperFunction: arn("lambda", "function:prod-trazabilidad_stamper"),
    ArchiverLogGroup: arn("logs", "log-group:/aws/lambda/prod-archiver:*"),
    AuditProducerLogGroup: arn("logs", "log-group:/aws/lambda/prod-audit_producer:*"),
    ClaimCheckLogGroup: arn("logs", "log-group:/aws/lambda/prod-archive_claims:*"),
    RedriveLogGroup: arn("logs", "log-group:/aws/lambda/prod-archive_redrive:*"),
    BackupVault: arn("backup", "backup-vault:trace-prod-tables"),
    DrillFunction: arn("lambda", "function:prod-trazabilidad_drill"),
    DrillLogGroup: arn("logs", "log-group:/aws/lambda/prod-trazabilidad_drill:*"),
  },
};

/** Findings accepted, by policy name and issue, each with its reason. */
const ACCEPTED: Record<string, string> = {
  // Real stream ARNs end in a label with colons (…/stream/2026-11-24T00:00:00.000, as DynamoDB
  // names them); parliament splits ARNs on ":" and so misreads every stream ARN.
  "archive.PipeRole: RESOURCE_MISMATCH": "parliament cannot parse a stream ARN's label",
  "archive.RedriveRole: RESOURCE_MISMATCH": "parliament cannot parse a stream ARN's label",
  // parliament wants states:DescribeExecution to name an `express` ARN as well as an `execution`
  // one (the IAM reference lists both types); the native export is a STANDARD machine whose
  // Distributed Map children are STANDARD too, so only execution ARNs exist to name.
  "traceability.NativeExportStateMachineRole: RESOURCE_MISMATCH": "a STANDARD machine has no express executions",
  // In a key policy "Resource": "*" means this key (AWS KMS: "Key policies in AWS KMS").
  "base.DataKey (key policy): RESOURCE_STAR": "a key policy's * is the key itself",
  // CloudWatch Logs' documented key-policy statement ("Encrypt log data in CloudWatch Logs using
  // AWS KMS", step 2) conditions kms:Describe* and uses ArnLike on the encryption context, as here.
  "base.DataKey (key policy): UNKNOWN_CONDITION_FOR_ACTION": "AWS's documented statement for CloudWatch Logs",
  "base.DataKey (key policy): MISMATCHED_TYPE": "AWS's documented statement for CloudWatch Logs (ArnLike on aws:logs:arn)",
};

interface Linted {
  name: string;
  findings: { issue: string; severity: string; detail: string; location: string }[];
}

function parliament(policies: { name: string; policy: unknown }[]): Linted[] {
  const run = spawnSync(join(projectRoot, ".venv", "bin", "python"), [join(projectRoot, "test", "support", "lint-policies.py")], {
    input: JSON.stringify(policies),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`parliament failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Linted[];
}

const STACKS_WITH_ROLES: StackId[] = ["base", "traceability", "audit", "archive", "drill"];
const roles = STACKS_WITH_ROLES.flatMap((stack) =>
  resourcesOfType(loadTemplate(stack), "AWS::IAM::Role")
    .filter(([, role]) => (role.Properties.Policies ?? []).length > 0)
    .map(([id]) => ({ name: `${stack}.${id}`, policy: rolePolicy(stack, id, context) })),
);

describe("parliament on every role policy and the key policy", () => {
  it("finds the roles of every stack that has inline policies", () => {
    expect(roles.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        "traceability.ExportRole",
        "traceability.SchedulerRole",
        "audit.AuditProducerRole",
        "archive.ArchiverRole",
        "archive.PipeRole",
        "archive.ClaimCheckRole",
        "archive.RedriveRole",
        "drill.DrillRole",
        "drill.DrillStateMachineRole",
        "drill.DrillSchedulerRole",
      ]),
    );
  });

  it("reports no finding that is not accepted with a reason", { timeout: 60_000 }, () => {
    const linted = parliament([...roles, { name: "base.DataKey (key policy)", policy: dataKeyPolicy(context) }]);
    expect(linted).toHaveLength(roles.length + 1);
    const open = linted
      .flatMap((l) => l.findings.map((f) => `${l.name}: ${f.issue} ${f.detail}`))
      .filter((f) => !(f.slice(0, f.indexOf(" ", f.indexOf(": ") + 2)) in ACCEPTED));
    expect(open).toEqual([]);
  });

  it("is able to fail: an unknown action and a resource the action cannot take are reported", { timeout: 60_000 }, () => {
    const [linted] = parliament([
      {
        name: "broken",
        policy: {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "dynamodb:ScanTable", Resource: context.arns.TrazabilidadTable },
            { Effect: "Allow", Action: "s3:PutObject", Resource: context.arns.TrazabilidadTable },
          ],
        },
      },
    ]);
    expect(linted?.findings.map((f) => f.issue).sort()).toEqual(["RESOURCE_MISMATCH", "UNKNOWN_ACTION"]);
  });
});
