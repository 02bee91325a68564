// A second static check of the templates, for the wiring cfn-lint and checkov do not see (issue
// 15 item 4): references that resolve, dead-letter queues their writers can reach through the
// queue's and the key's policies, names within AWS's limits at the longest prefix and stage the
// config allows, and the alias and mappings pointing at what exists. Each rule is shown failing
// on a mutated template too, so none passes vacuously.
import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../src/core/config";
import { configParameters, STACK_OUTPUTS, STACKS, type StackId, stackName } from "../../../src/core/stacks";
import { type Json, loadTemplate, parseTemplate, resource, type Template, templateText } from "../../support/cloudformation";
import { deadLetterProblems, deadLetterWriters, nameProblems, pointerProblems, referenceProblems } from "./wiring";

const templates = Object.fromEntries(STACKS.map((s) => [s, loadTemplate(s)])) as Record<StackId, Template>;
const keyPolicy = (base: Template = templates.base): Json => resource(base, "DataKey").Properties.KeyPolicy;
const edited = (stack: StackId, from: string, to: string): Template => {
  const text = templateText(stack);
  expect(text).toContain(from);
  return parseTemplate(text.replace(from, to));
};
const clone = (t: Template): Template => structuredClone(t);

// The longest prefix (40) and stage (20) config accepts (src/core/config.ts).
const LONGEST = environmentSchema.parse({ stage: `s${"t".repeat(19)}`, prefix: "p".repeat(40), alarmEmail: "ops@example.com" });

describe("rule 1: every Ref, GetAtt, Sub and condition resolves", () => {
  it.each(STACKS)("%s", (stack) => expect(referenceProblems(templates[stack])).toEqual([]));

  it("reports a GetAtt of a missing resource, a missing attribute, a Sub of nothing and an undeclared condition", () => {
    expect(
      referenceProblems(
        edited(
          "archive",
          "DeadLetterConfig:\n        TargetArn: !GetAtt ArchiveDeadLetterQueue.Arn",
          "DeadLetterConfig:\n        TargetArn: !GetAtt ArchiveDeadLetterQ.Arn",
        ),
      ),
    ).toEqual(["ArchiverFunction: GetAtt ArchiveDeadLetterQ.Arn: no resource ArchiveDeadLetterQ"]);
    expect(referenceProblems(edited("audit", "!GetAtt ConfigurationTable.StreamArn", "!GetAtt ConfigurationTable.Stream"))).toEqual([
      "ConfigurationStreamMapping: GetAtt ConfigurationTable.Stream: AWS::DynamoDB::Table has no attribute Stream",
    ]);
    expect(referenceProblems(edited("traceability", `"\${Prefix}trazabilidad_export"`, `"\${Prefx}trazabilidad_export"`))).toContain(
      `ExportFunction: \${Prefx} in Fn::Sub names nothing`,
    );
    expect(referenceProblems(edited("audit", "Condition: CreateStreamTrigger", "Condition: CreateStreamTriggers"))).toEqual([
      "ConfigurationStreamMapping: condition CreateStreamTriggers is not declared",
    ]);
  });
});

describe("rule 2: every dead-letter and on-failure queue is writable by whoever writes it, key included", () => {
  it("finds the writers: export function and its three schedules, audit mapping, archiver, both pipes, the archive rule", () => {
    const writers = STACKS.flatMap((s) =>
      deadLetterWriters(templates[s]).map((w) => `${w.where}→${w.bucket ? `bucket ${w.bucket}` : w.queue} by ${w.role ?? w.service}`),
    );
    expect(writers.sort()).toEqual(
      [
        "ExportFunction→ExportDeadLetterQueue by ExportRole",
        "ExportSchedule→ExportDeadLetterQueue by SchedulerRole",
        "ExportLateCheckSchedule→ExportDeadLetterQueue by SchedulerRole",
        "StamperSchedule→ExportDeadLetterQueue by StamperSchedulerRole",
        "ConfigurationStreamMapping→bucket DataBucketName by AuditProducerRole",
        "ArchiverFunction→ArchiveDeadLetterQueue by ArchiverRole",
        "TrazabilidadArchivePipe→PipeDeadLetterQueue by PipeRole",
        "ConfigurationArchivePipe→PipeDeadLetterQueue by PipeRole",
        "ArchiveRule.archiver→ArchiveDeadLetterQueue by events.amazonaws.com",
      ].sort(),
    );
  });

  it.each(STACKS)("%s", (stack) => expect(deadLetterProblems(templates[stack], keyPolicy())).toEqual([]));

  it("reports a role without SendMessage, a role without the key, a queue policy and a key-policy statement missing", () => {
    const withoutStatement = (stack: StackId, role: string, ...sids: string[]) => {
      const t = clone(templates[stack]);
      for (const policy of resource(t, role).Properties.Policies)
        policy.PolicyDocument.Statement = policy.PolicyDocument.Statement.filter((s: Json) => !sids.includes(s.Sid));
      return t;
    };
    expect(deadLetterProblems(withoutStatement("traceability", "SchedulerRole", "UndeliveredToDeadLetterQueue"), keyPolicy())).toEqual([
      "ExportSchedule: SchedulerRole may not sqs:SendMessage to ExportDeadLetterQueue",
      "ExportLateCheckSchedule: SchedulerRole may not sqs:SendMessage to ExportDeadLetterQueue",
    ]);
    expect(deadLetterProblems(withoutStatement("audit", "AuditProducerRole", "EncryptFailedBatches", "UseTableKey"), keyPolicy())).toEqual([
      "ConfigurationStreamMapping: AuditProducerRole may not kms:GenerateDataKey on the data key of DataBucketName",
    ]);
    expect(deadLetterProblems(withoutStatement("audit", "AuditProducerRole", "FailureBucketListing"), keyPolicy())).toEqual([
      "ConfigurationStreamMapping: AuditProducerRole may not s3:ListBucket on the bucket DataBucketName",
    ]);
    expect(deadLetterProblems(withoutStatement("archive", "PipeRole", "FailedRecordsToDeadLetterQueue"), keyPolicy())).toEqual([
      "TrazabilidadArchivePipe: PipeRole may not sqs:SendMessage to PipeDeadLetterQueue",
      "ConfigurationArchivePipe: PipeRole may not sqs:SendMessage to PipeDeadLetterQueue",
    ]);
    const noQueuePolicy = clone(templates.archive);
    delete noQueuePolicy.Resources.ArchiveDeadLetterQueuePolicy;
    expect(deadLetterProblems(noQueuePolicy, keyPolicy())).toEqual([
      "ArchiveRule.archiver: no queue policy of ArchiveDeadLetterQueue lets events.amazonaws.com sqs:SendMessage",
    ]);
    const base = clone(templates.base);
    const policy = keyPolicy(base);
    policy.Statement = policy.Statement.filter((s: Json) => s.Sid !== "EventBridgeSendsToTheEncryptedDeadLetterQueue");
    expect(deadLetterProblems(templates.archive, policy)).toEqual([
      "ArchiveRule.archiver: the key policy does not let events.amazonaws.com kms:GenerateDataKey",
      "ArchiveRule.archiver: the key policy does not let events.amazonaws.com kms:Decrypt",
    ]);
  });
});

describe("rule 3: names fit AWS's limits at the longest prefix (40) and stage (20) config allows", () => {
  const parameters = configParameters(LONGEST);

  it.each(STACKS)("%s", (stack) => {
    const { problems, names } = nameProblems(templates[stack], parameters);
    expect(problems).toEqual([]);
    if (stack !== "bootstrap") expect(Object.keys(names).length).toBeGreaterThan(0);
  });

  it("stack names (128) and export names (255) fit too", () => {
    for (const stack of STACKS) {
      const name = stackName(LONGEST, stack);
      expect(name.length).toBeLessThanOrEqual(128);
      for (const output of STACK_OUTPUTS[stack]) expect(`${name}-${output}`.length).toBeLessThanOrEqual(255);
    }
  });

  it("reports a name over its limit, and a named type it has no limit for", () => {
    const long = edited("traceability", `"\${Prefix}trazabilidad_export"`, `"\${Prefix}trazabilidad_export_nightly"`);
    expect(nameProblems(long, parameters).problems).toEqual([
      `ExportFunction.FunctionName "${"p".repeat(40)}trazabilidad_export_nightly" is 67 characters, over 64`,
    ]);
    const unknown = clone(templates.traceability);
    unknown.Resources.Extra = { Type: "AWS::StepFunctions::StateMachine", Properties: { StateMachineName: "x", Name: "y" } };
    expect(nameProblems(unknown, parameters).problems).toEqual([
      "Extra: AWS::StepFunctions::StateMachine sets Name; add its limit to NAME_LIMITS",
    ]);
  });
});

describe("rule 4: the alias and the mappings point at what exists", () => {
  it.each(STACKS)("%s", (stack) => expect(pointerProblems(templates[stack])).toEqual([]));

  it("reports an alias on a table, a mapping on a missing function and a mapping on a table's Arn", () => {
    expect(
      pointerProblems(
        edited(
          "audit",
          "FunctionName: !Ref AuditProducerFunction\n      FunctionVersion",
          "FunctionName: !Ref AuditTable\n      FunctionVersion",
        ),
      ),
    ).toEqual(["LearnAlias: FunctionName is not a function of this template"]);
    expect(pointerProblems(edited("audit", "FunctionName: !Ref LearnAlias", "FunctionName: !Ref AuditTable"))).toEqual([
      "ConfigurationStreamMapping: FunctionName is not a function or alias of this template",
    ]);
    expect(
      pointerProblems(
        edited("audit", "EventSourceArn: !GetAtt ConfigurationTable.StreamArn", "EventSourceArn: !GetAtt ConfigurationTable.Arn"),
      ),
    ).toEqual([
      "ConfigurationStreamMapping: EventSourceArn is neither a table's StreamArn, a stream parameter nor a queue of this template",
    ]);
  });
});
