// Disaster recovery's wiring (issue 26): the backup plan's copy to the DR vault, the role and keys
// it runs with, the DR stack's key, vault and its access policy, the role that restores a copy, and
// the replication of exports/ and archive/. Each rule (dr-wiring.ts, with its AWS citation) passes
// on the real templates and fails on a template with the requirement taken out, so none passes
// vacuously. cfn-lint and checkov run on dr.yaml with the other templates (lint.test.ts).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../src/core/config";
import { configParameters, STACK_OUTPUTS, STACKS, stackRegion, stacksOf } from "../../../src/core/stacks";
import { type Json, loadTemplate, parseTemplate, type Template, templateText } from "../../support/cloudformation";
import { type ResolveContext, resolveValue } from "../../support/iam-roles";
import { projectRoot } from "../../support/paths";
import { copyActionProblems, copyRoleProblems, replicationProblems, restoreRoleProblems, statementsOf, vaultProblems } from "./dr-wiring";

const base = loadTemplate("base");
const dr = loadTemplate("dr");
const edited = (stack: "base" | "dr", from: string, to: string): Template => {
  const text = templateText(stack);
  expect(text).toContain(from);
  return parseTemplate(text.replace(from, to));
};
const clone = (t: Template): Template => structuredClone(t);
const props = (t: Template, id: string): Json => (t.Resources[id] as { Properties: Json }).Properties;

describe("the dr stack's place", () => {
  it("comes before base (whose plan copies to its vault), lives in drRegion, and exists only with one", () => {
    expect(STACKS.indexOf("dr")).toBeLessThan(STACKS.indexOf("base"));
    const env = { region: "eu-west-1", drRegion: "eu-central-1" };
    expect(stackRegion(env, "dr")).toBe("eu-central-1");
    expect(stackRegion(env, "base")).toBe("eu-west-1");
    expect(stacksOf(env)).toContain("dr");
    expect(stacksOf({})).not.toContain("dr");
    // base takes the dr stack's outputs by name (and gets them empty without a drRegion).
    for (const output of ["DrBackupVaultArn", "DrKeyArn", "DrBucketName"]) {
      expect(STACK_OUTPUTS.dr).toContain(output);
      expect(base.Parameters[output], output).toBeDefined();
      expect(base.Parameters[output]?.Default, output).toBeUndefined();
    }
  });

  it("validates drRegion as a region and replicateData as needing one", () => {
    expect(environmentSchema.safeParse({ stage: "p", drRegion: "Frankfurt" }).success).toBe(false);
    expect(configParameters(environmentSchema.parse({ stage: "p", drRegion: "eu-central-1", replicateData: true }))).toMatchObject({
      ReplicateData: "true",
    });
  });
});

describe("rule A: every rule of the plan copies its recovery point to the DR vault, kept as long", () => {
  it("holds for base.yaml", () => expect(copyActionProblems(base)).toEqual([]));

  it("reports a copy elsewhere, a shorter copy, and a copy without the condition", () => {
    const elsewhere = clone(base);
    const rules = props(elsewhere, "BackupPlan").BackupPlan.BackupPlanRule as Json[];
    rules[0].CopyActions["Fn::If"][1][0].DestinationBackupVaultArn = { "Fn::GetAtt": ["BackupVault", "BackupVaultArn"] };
    rules[1].CopyActions["Fn::If"][1][0].Lifecycle.DeleteAfterDays = 7;
    rules[2].CopyActions = [{ DestinationBackupVaultArn: { Ref: "DrBackupVaultArn" } }];
    expect(copyActionProblems(elsewhere)).toEqual([
      "hourly-kept-30-days: the copy does not go to DrBackupVaultArn",
      "weekly-kept-90-days: the copy is not kept as long as the recovery point (90 days)",
      "monthly-kept-365-days: CopyActions is not !If [CopyToDr, …, !Ref AWS::NoValue]",
    ]);
  });
});

describe("rule B: the copy job's role may read the recovery point and encrypt the copy with the DR key", () => {
  it("holds for base.yaml", () => expect(copyRoleProblems(base)).toEqual([]));

  it("reports the data key, the DR key and the grant condition taken out", () => {
    const t = clone(base);
    const statements = props(t, "BackupCopyPolicy").PolicyDocument.Statement as Json[];
    props(t, "BackupCopyPolicy").PolicyDocument.Statement = statements.filter((s) => s.Sid !== "ReadsRecoveryPointsOfThisStage");
    const kept = props(t, "BackupCopyPolicy").PolicyDocument.Statement as Json[];
    kept[0].Action = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"];
    delete kept[1].Condition;
    expect(copyRoleProblems(t)).toEqual([
      "BackupRole may not kms:Decrypt the data key (the recovery point)",
      "BackupRole may not kms:GenerateDataKey on DrKeyArn (the copy)",
      "BackupRole may not kms:CreateGrant on DrKeyArn for AWS resources only",
      "BackupRole may kms:CreateGrant without kms:GrantIsForAWSResource",
    ]);
    const unconditional = clone(base);
    delete unconditional.Resources.BackupCopyPolicy?.Condition;
    expect(copyRoleProblems(unconditional)).toEqual(["BackupRole: a policy on the DR key exists without CopyToDr"]);
  });
});

describe("rule C: the DR vault, its key and its access policy", () => {
  it("holds for dr.yaml", () => expect(vaultProblems(dr)).toEqual([]));

  it("reports a vault on another key, a key that does not rotate or delegate to IAM, and an open or wildcard policy", () => {
    expect(vaultProblems(edited("dr", "EncryptionKeyArn: !GetAtt DrKey.Arn", "EncryptionKeyArn: alias/aws/backup"))).toEqual([
      "DrBackupVault is not encrypted with a key of this stack",
    ]);
    const key = clone(dr);
    props(key, "DrKey").EnableKeyRotation = false;
    props(key, "DrKey").KeyPolicy.Statement[0].Principal = { Service: "backup.amazonaws.com" };
    expect(vaultProblems(key)).toEqual(["DrKey does not rotate", "DrKey: the key policy does not delegate to IAM (the account root)"]);
    const policy = clone(dr);
    props(policy, "DrBackupVault").AccessPolicy.Statement[0].Action = ["backup:Delete*"];
    expect(vaultProblems(policy)).toEqual([
      "DrBackupVault's access policy does not deny backup:DeleteRecoveryPoint to everyone",
      "DrBackupVault's access policy does not deny backup:UpdateRecoveryPointLifecycle to everyone",
      "DrBackupVault's access policy has a wildcard action backup:Delete*",
    ]);
  });
});

describe("rule D: the role that restores a copy", () => {
  it("holds for dr.yaml", () => expect(restoreRoleProblems(dr)).toEqual([]));

  it("reports another trust, the managed policy missing, and a key other than the DR one", () => {
    const t = clone(dr);
    props(t, "DrRestoreRole").AssumeRolePolicyDocument.Statement[0].Principal.Service = "lambda.amazonaws.com";
    props(t, "DrRestoreRole").ManagedPolicyArns = [];
    props(t, "DrRestoreRole").Policies[0].PolicyDocument.Statement[0].Resource = "*";
    expect(restoreRoleProblems(t)).toEqual([
      "DrRestoreRole is not trusted by backup.amazonaws.com alone",
      "DrRestoreRole has no AWSBackupServiceRolePolicyForRestores",
      "DrRestoreRole may not kms:Decrypt on DrKey",
      "DrRestoreRole may not kms:GenerateDataKey on DrKey",
      'DrRestoreRole names another resource: "*"',
    ]);
  });
});

describe("rule E: exports/ and archive/ replicate to the DR bucket, re-encrypted with the DR key", () => {
  it("holds for base.yaml and dr.yaml", () => expect(replicationProblems(base, dr)).toEqual([]));

  it("reports SSE-KMS objects skipped, an alias for the replica key, deletions replicated, and a key usable outside S3", () => {
    const t = clone(base);
    const rules = props(t, "DataBucket").ReplicationConfiguration["Fn::If"][1].Rules as Json[];
    delete rules[0].SourceSelectionCriteria;
    rules[1].Destination.EncryptionConfiguration.ReplicaKmsKeyID = "alias/trace-prod-dr";
    rules[1].DeleteMarkerReplication.Status = "Enabled";
    const statements = props(t, "ReplicationPolicy").PolicyDocument.Statement as Json[];
    delete statements.find((s) => s.Sid === "EncryptsWithTheDrKeyThroughS3").Condition;
    expect(replicationProblems(t, dr)).toEqual([
      "exports-to-dr: SSE-KMS objects are not replicated",
      "archive-to-dr: the replica key is not DrKeyArn",
      "archive-to-dr: deletions would be replicated",
      "the role may not encrypt with the DR key through S3 of the DR region",
    ]);
    const unversioned = edited(
      "dr",
      "      VersioningConfiguration:\n        Status: Enabled",
      "      VersioningConfiguration:\n        Status: Suspended",
    );
    expect(replicationProblems(base, unversioned)).toEqual(["the DR bucket is not versioned"]);
  });

  it("finds the replication role's statements in its AWS::IAM::Policy (the bucket names the role, the policy the bucket)", () => {
    expect(statementsOf(base, "ReplicationRole").map((s) => s.Sid)).toEqual([
      "ReadsTheReplicationConfiguration",
      "ReadsTheVersionsToReplicate",
      "WritesReplicasToTheDrBucket",
      "DecryptsWithThisStagesKeyThroughS3",
      "EncryptsWithTheDrKeyThroughS3",
    ]);
  });
});

describe("parliament on the DR policies (AWS's IAM reference: actions, resources, conditions)", () => {
  const ACCOUNT = "123456789012";
  const context: ResolveContext = {
    values: {
      "AWS::Region": "eu-west-1",
      "AWS::AccountId": ACCOUNT,
      "AWS::Partition": "aws",
      Stage: "prod",
      DrKeyArn: `arn:aws:kms:eu-central-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
      DrBucketName: "trace-prod-dr-drbucket-1a2b3c4d5e6f",
      EnableBackups: "true",
      DrBackupVaultArn: `arn:aws:backup:eu-central-1:${ACCOUNT}:backup-vault:trace-prod-dr`,
      ReplicateData: "true",
    },
    refs: { DataBucket: "trace-prod-base-databucket-1a2b3c4d5e6f" },
    arns: {
      DataKey: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/66666666-7777-8888-9999-000000000000`,
      DrKey: `arn:aws:kms:eu-central-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
    },
  };
  const document = (template: Template, statements: Json) => ({
    Version: "2012-10-17",
    Statement: resolveValue(template, statements, context),
  });

  it("finds nothing in the copy, replication and restore policies, nor in the DR key's policy (its * is the key itself)", {
    timeout: 60_000,
  }, () => {
    const policies = [
      { name: "base.BackupCopyPolicy", policy: document(base, props(base, "BackupCopyPolicy").PolicyDocument.Statement) },
      { name: "base.ReplicationPolicy", policy: document(base, props(base, "ReplicationPolicy").PolicyDocument.Statement) },
      { name: "dr.DrRestoreRole", policy: document(dr, statementsOf(dr, "DrRestoreRole")) },
      { name: "dr.DrKey (key policy)", policy: document(dr, props(dr, "DrKey").KeyPolicy.Statement) },
    ];
    const run = spawnSync(join(projectRoot, ".venv", "bin", "python"), [join(projectRoot, "test", "support", "lint-policies.py")], {
      input: JSON.stringify(policies),
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const findings = (JSON.parse(run.stdout) as { name: string; findings: { issue: string; detail: string }[] }[]).flatMap((l) =>
      l.findings.map((f) => `${l.name}: ${f.issue} ${f.detail}`),
    );
    // As for the data key (policy-lint.test.ts): in a key policy "Resource": "*" means this key.
    expect(findings.filter((f) => !f.startsWith("dr.DrKey (key policy): RESOURCE_STAR"))).toEqual([]);
    // The policy with its statements resolved: the replicas' key is used through S3 of the DR region only.
    expect(JSON.stringify(policies[1]?.policy)).toContain('"kms:ViaService":"s3.eu-central-1.amazonaws.com"');
  });
});
