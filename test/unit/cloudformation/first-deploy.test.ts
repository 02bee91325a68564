// Issue 23, items 1–8 (8: versions behind aliases, versions.ts): what AWS would refuse or silently drop on a first real deploy, which moto,
// cfn-lint, checkov and parliament all accept. Each rule (first-deploy.ts, with the AWS page that
// states it) passes on the templates, and fails on the template as it was before the fix: the
// "before" edits below put back exactly what the templates had.
import { describe, expect, it } from "vitest";
import { environmentSchema, PREFIX_PATTERN } from "../../../src/core/config";
import { configParameters, FUNCTIONS, type FunctionSpec, STACKS, type StackId } from "../../../src/core/stacks";
import {
  type Json,
  loadTemplate,
  parseTemplate,
  resource,
  roleStatements,
  type Template,
  templateText,
} from "../../support/cloudformation";
import { XRAY_ACTIONS } from "../../support/iam-roles";
import {
  acceptedCharacters,
  encryptedLogDeliveryProblems,
  nameCharacterProblems,
  RESULT_WRITER_ACTIONS,
  resultWriterProblems,
  retainedFindableProblems,
  tableKeyProblems,
  tracingProblems,
  workPrefixLifecycleProblems,
} from "./first-deploy";
import { versionProblems } from "./versions";

const templates = Object.fromEntries(STACKS.map((s) => [s, loadTemplate(s)])) as Record<StackId, Template>;
const keyPolicy = (base: Template = templates.base): Json => resource(base, "DataKey").Properties.KeyPolicy;
const clone = (t: Template): Template => structuredClone(t);
/** The template with one statement (by Sid) removed from a role, as before a fix added it. */
function withoutStatement(t: Template, roleId: string, sid: string): Template {
  const copy = clone(t);
  for (const policy of resource(copy, roleId).Properties.Policies)
    policy.PolicyDocument.Statement = policy.PolicyDocument.Statement.filter((s: Json) => s.Sid !== sid);
  return copy;
}
const parameters = configParameters(environmentSchema.parse({ stage: "dev" }));

describe("item 1: names take only the characters AWS allows, for every Prefix and Stage the config accepts", () => {
  it.each(STACKS)("%s", (stack) => {
    expect(nameCharacterProblems(templates[stack], "Prefix", parameters)).toEqual([]);
    expect(nameCharacterProblems(templates[stack], "Stage", parameters)).toEqual([]);
  });

  it("the config and every template's Prefix accept the same characters", () => {
    const config = acceptedCharacters(PREFIX_PATTERN.source);
    expect(config.length).toBeGreaterThan(60);
    for (const stack of STACKS) {
      const prefix = templates[stack].Parameters.Prefix;
      if (prefix) expect(acceptedCharacters(prefix.AllowedPattern), stack).toEqual(config);
    }
    expect(environmentSchema.safeParse({ stage: "dev", prefix: "dev." }).success).toBe(false);
  });

  it("before: a Prefix that accepted '.' made a function name Lambda refuses", () => {
    const before = parseTemplate(templateText("audit").replace('"^[A-Za-z0-9_-]{0,40}$"', '"^[A-Za-z0-9_.-]{0,40}$"'));
    expect(nameCharacterProblems(before, "Prefix", parameters)).toEqual([
      'AuditProducerFunction.FunctionName ".audit_producer" (Prefix ".") does not match /^[a-zA-Z0-9_-]{1,64}$/',
    ]);
  });
});

describe("item 2: a CMK-encrypted state machine that logs lets CloudWatch Logs' delivery use the key", () => {
  it.each(STACKS)("%s", (stack) => expect(encryptedLogDeliveryProblems(templates[stack], keyPolicy())).toEqual([]));

  it("before: no key-policy statement for delivery.logs.amazonaws.com", () => {
    const base = clone(templates.base);
    const policy = keyPolicy(base);
    policy.Statement = policy.Statement.filter((s: Json) => s.Sid !== "LogDeliveryDecryptsStateMachineLogs");
    expect(encryptedLogDeliveryProblems(templates.traceability, policy)).toEqual([
      "NativeExportStateMachine: the key policy does not let delivery.logs.amazonaws.com kms:Decrypt (CMK-encrypted state machine with logging)",
    ]);
  });
});

describe("item 3: a tracing state machine's role may send traces to X-Ray", () => {
  it.each(STACKS)("%s", (stack) => expect(tracingProblems(templates[stack])).toEqual([]));

  it("before: tracing on, no X-Ray statement", () => {
    const before = withoutStatement(templates.traceability, "NativeExportStateMachineRole", "SendTracesToXRay");
    expect(tracingProblems(before)).toEqual(XRAY_ACTIONS.map((a) => `NativeExportStateMachine: tracing is on but its role may not ${a}`));
  });
});

describe("item 4: a Distributed Map's ResultWriter runs under a role with AWS's listed S3 actions", () => {
  it.each(STACKS)("%s", (stack) => expect(resultWriterProblems(templates[stack])).toEqual([]));

  it("before: Get/PutObject only", () => {
    const before = clone(templates.traceability);
    const statement = resource(before, "NativeExportStateMachineRole").Properties.Policies[0].PolicyDocument.Statement.find(
      (s: Json) => s.Sid === "MapItemsAndResults",
    );
    statement.Action = ["s3:GetObject", "s3:PutObject"];
    const missing = RESULT_WRITER_ACTIONS.filter((a) => a.includes("Multipart"));
    expect(resultWriterProblems(before)).toEqual(
      ["CollectColumns", "WriteParts", "MergeRanges"].flatMap((map) =>
        missing.map((a) => `NativeExportStateMachine.${map}: ResultWriter but its role may not ${a}`),
      ),
    );
  });
});

describe("item 5: whoever reads or writes an encrypted table or stream may use its key for that", () => {
  it.each(STACKS)("%s", (stack) => expect(tableKeyProblems(templates[stack], templates)).toEqual([]));

  it("before: the stream readers and the Audit writer used the key only through their queues' statements", () => {
    const audit = withoutStatement(templates.audit, "AuditProducerRole", "UseTableKey");
    // (Its failure queue's statement is gone too since issue 22 keeps failed batches in S3: no Decrypt either.)
    expect([...tableKeyProblems(audit, templates)].sort()).toEqual([
      "AuditProducerRole: reads ConfigurationTable, encrypted with the data key, but may not kms:Decrypt",
      "AuditProducerRole: reads ConfigurationTable, encrypted with the data key, but may not kms:DescribeKey",
      "AuditProducerRole: writes AuditTable, encrypted with the data key, but may not kms:Decrypt",
      "AuditProducerRole: writes AuditTable, encrypted with the data key, but may not kms:DescribeKey",
      "AuditProducerRole: writes AuditTable, encrypted with the data key, but may not kms:Encrypt",
      "AuditProducerRole: writes AuditTable, encrypted with the data key, but may not kms:ReEncryptFrom",
    ]);
    const archive = withoutStatement(templates.archive, "PipeRole", "DecryptArchivedStreams");
    expect(tableKeyProblems(archive, templates)).toEqual([
      "PipeRole: reads TrazabilidadStreamArn (TrazabilidadTable), encrypted with the data key, but may not kms:DescribeKey",
      "PipeRole: reads ConfigurationStreamArn (ConfigurationTable), encrypted with the data key, but may not kms:DescribeKey",
    ]);
    const export_ = withoutStatement(templates.traceability, "ExportRole", "DecryptTrazabilidad");
    expect(tableKeyProblems(export_, templates)).toEqual([
      "ExportRole: reads TrazabilidadTable, encrypted with the data key, but may not kms:DescribeKey",
    ]);
  });
});

describe("item 6: every retained resource can be found again after a destroy", () => {
  it.each(STACKS)("%s", (stack) => expect(retainedFindableProblems(templates[stack])).toEqual([]));

  it("before: the buckets' names were generated, so nothing could find them, nor the key through them", () => {
    const base = clone(templates.base);
    delete resource(base, "DataBucket").Properties.BucketName;
    expect(retainedFindableProblems(base)).toEqual([
      "DataKey: retained, but no retained bucket with a fixed name is encrypted with it",
      "DataBucket: retained, but BucketName is generated (nothing can find it after a destroy)",
    ]);
    const bootstrap = clone(templates.bootstrap);
    delete resource(bootstrap, "ArtifactBucket").Properties.BucketName;
    expect(retainedFindableProblems(bootstrap)).toEqual([
      "ArtifactBucket: retained, but BucketName is generated (nothing can find it after a destroy)",
    ]);
  });
});

describe("item 7: a failed native run's work objects under native/ do not stay forever", () => {
  const others = STACKS.filter((s) => s !== "base").map((s) => templates[s]);

  it("the data bucket expires native/ (current and noncurrent versions, delete markers) after the longest run", () => {
    expect(workPrefixLifecycleProblems(templates.base, others)).toEqual([]);
  });

  it("before: no rule for native/", () => {
    const base = clone(templates.base);
    const rules = resource(base, "DataBucket").Properties.LifecycleConfiguration.Rules;
    resource(base, "DataBucket").Properties.LifecycleConfiguration.Rules = rules.filter((r: Json) => !String(r.Id).startsWith("native-"));
    expect(workPrefixLifecycleProblems(base, others)).toEqual([
      "NativeExportRole keeps work under native/ but no lifecycle rule expires it",
      "native/: no rule of its own expires its noncurrent versions (the bucket is versioned)",
      "native/: no rule removes its expired delete markers",
    ]);
  });

  it("a rule too short for the state machine's timeout is refused", () => {
    const base = clone(templates.base);
    for (const rule of resource(base, "DataBucket").Properties.LifecycleConfiguration.Rules)
      if (rule.ExpirationInDays !== undefined && String(rule.Prefix) === "native/") rule.ExpirationInDays = 1;
    expect(workPrefixLifecycleProblems(base, others)).toEqual(["native/ expires after 1 day(s), before a run of 86400 s can end"]);
  });
});

describe("item 8: every function runs a published version behind its alias, and everything that invokes it names the alias", () => {
  it.each(STACKS)("%s", (stack) => expect(versionProblems(templates[stack])).toEqual([]));

  it("covers every function of FUNCTIONS, each with a revision parameter and an alias", () => {
    const functions = STACKS.flatMap((s) =>
      Object.keys(templates[s].Resources).filter((id) => resource(templates[s], id).Type === "AWS::Lambda::Function"),
    );
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const spec of Object.values(FUNCTIONS as Record<string, FunctionSpec>))
      expect(spec).toMatchObject({ revisionParameter: expect.any(String), alias: expect.any(String) });
  });

  it("before: the stamper unversioned, invoked on $LATEST by its schedule, its role allowed the unqualified function", () => {
    const before = clone(templates.traceability);
    delete before.Resources.StamperVersion;
    delete before.Resources.StamperAlias;
    const unqualified = { "Fn::GetAtt": ["StamperFunction", "Arn"] };
    resource(before, "StamperSchedule").Properties.Target.Arn = unqualified;
    resource(before, "StamperInvokeConfig").Properties.Qualifier = "$LATEST";
    for (const s of roleStatements(resource(before, "StamperSchedulerRole"))) if (s.Sid === "InvokeStamperOnly") s.Resource = unqualified;
    const { revisionParameter: _r, alias: _a, ...stamper } = FUNCTIONS.stamper;
    expect(versionProblems(before, { ...FUNCTIONS, stamper })).toEqual([
      "StamperFunction: FUNCTIONS.stamper has no revisionParameter and alias (deploy, rollback and status skip it)",
      "StamperFunction: no AWS::Lambda::Version",
      "StamperFunction: no AWS::Lambda::Alias",
      "StamperSchedulerRole.InvokeStamperOnly: invokes StamperFunction unqualified ($LATEST), not its alias",
      "StamperSchedule.Target: invokes StamperFunction unqualified ($LATEST), not its alias",
    ]);
  });

  it("before: the late check's schedule on the unqualified export function (its role may invoke only the alias)", () => {
    const before = clone(templates.traceability);
    resource(before, "ExportLateCheckSchedule").Properties.Target.Arn = { "Fn::GetAtt": ["ExportFunction", "Arn"] };
    expect(versionProblems(before)).toEqual([
      "ExportLateCheckSchedule.Target: invokes ExportFunction unqualified ($LATEST), not its alias",
    ]);
  });

  it("before: the pipes' enrichment, the redrive mapping and the drill's tasks on $LATEST", () => {
    const archive = parseTemplate(
      templateText("archive")
        .replaceAll(`Enrichment: !Sub "\${ClaimCheckFunction.Arn}:live"`, "Enrichment: !GetAtt ClaimCheckFunction.Arn")
        .replace(`Resource: !Sub "\${ClaimCheckFunction.Arn}:live"`, "Resource: !GetAtt ClaimCheckFunction.Arn")
        .replace("FunctionName: !Ref RedriveAlias", "FunctionName: !Ref RedriveFunction"),
    );
    expect(versionProblems(archive)).toEqual([
      "PipeRole.EnrichWithClaimChecks: invokes ClaimCheckFunction unqualified ($LATEST), not its alias",
      "TrazabilidadArchivePipe.Enrichment: invokes ClaimCheckFunction unqualified ($LATEST), not its alias",
      "ConfigurationArchivePipe.Enrichment: invokes ClaimCheckFunction unqualified ($LATEST), not its alias",
      "RedriveQueueMapping.FunctionName: invokes RedriveFunction unqualified ($LATEST), not its alias",
    ]);
    const drill = parseTemplate(templateText("drill").replaceAll(`\${DrillFunction.Arn}:live`, `\${DrillFunction.Arn}`));
    expect(versionProblems(drill)).toEqual([
      "DrillStateMachineRole.InvokeWorker: invokes DrillFunction unqualified ($LATEST), not its alias",
      ...Array(4).fill("DrillStateMachine.DefinitionString: invokes DrillFunction unqualified ($LATEST), not its alias"),
    ]);
  });

  it("an alias on another version, an unretained version and an invoke config on $LATEST are refused", () => {
    const t = clone(templates.traceability);
    resource(t, "StamperAlias").Properties.FunctionVersion = { "Fn::GetAtt": ["ExportVersion", "Version"] };
    delete resource(t, "StamperVersion").UpdateReplacePolicy;
    resource(t, "StamperInvokeConfig").Properties.Qualifier = "$LATEST";
    expect(versionProblems(t)).toEqual([
      "StamperVersion: not retained (a replaced version must stay a rollback target)",
      "StamperAlias: FunctionVersion is not StamperVersion.Version",
      "StamperInvokeConfig: applies to $LATEST, not the alias live that is invoked",
    ]);
  });
});
