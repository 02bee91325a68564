// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are CloudFormation !Sub strings
// The wiring of disaster recovery that cfn-lint and checkov do not see, as functions returning the
// problems they find (dr.test.ts shows each passing on the real templates and failing on a mutated
// one). Each rule cites the AWS page it enforces.
import { asList, type Json, type Resource, type Template } from "../../support/cloudformation";
import { wildcardMatch } from "../../support/iam-roles";
import { targetId } from "./wiring";

const covers = (pattern: string, action: string) => wildcardMatch(pattern, action, true);
const refTo = (value: Json, name: string) => value?.Ref === name;
const isGetAtt = (value: Json, id: string, attribute: string) =>
  Array.isArray(value?.["Fn::GetAtt"]) && value["Fn::GetAtt"][0] === id && value["Fn::GetAtt"][1] === attribute;

/** The statements of the AWS::IAM::Policy resources attached to a role (and of its inline policies). */
export function statementsOf(template: Template, roleId: string): Json[] {
  const inline = (template.Resources[roleId]?.Properties.Policies ?? []).flatMap((p: Json) => asList(p.PolicyDocument.Statement));
  const attached = Object.values(template.Resources)
    .filter((r) => r.Type === "AWS::IAM::Policy" && asList(r.Properties.Roles).some((x: Json) => targetId(x) === roleId))
    .flatMap((r) => asList(r.Properties.PolicyDocument.Statement));
  return [...inline, ...attached];
}

/** The conditions of the AWS::IAM::Policy resources attached to a role. */
const attachedConditions = (template: Template, roleId: string): (string | undefined)[] =>
  Object.values(template.Resources)
    .filter((r) => r.Type === "AWS::IAM::Policy" && asList(r.Properties.Roles).some((x: Json) => targetId(x) === roleId))
    .map((r) => r.Condition);

function allows(statements: Json[], action: string, resource: (r: Json) => boolean, condition?: (c: Json) => boolean): boolean {
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      asList(s.Action).some((a: string) => covers(a, action)) &&
      asList(s.Resource).some(resource) &&
      (condition === undefined || condition(s.Condition)),
  );
}

/**
 * Rule A (the copy action): every rule of the backup plan copies its recovery point to the DR vault
 * (the dr stack's `DrBackupVaultArn`), only under `CopyToDr`, kept as long as the original
 * (AWS::Backup::BackupPlan CopyActionResourceType: DestinationBackupVaultArn, Lifecycle).
 */
export function copyActionProblems(base: Template): string[] {
  const problems: string[] = [];
  const plan = Object.entries(base.Resources).find(([, r]) => r.Type === "AWS::Backup::BackupPlan");
  if (!plan) return ["no AWS::Backup::BackupPlan"];
  for (const rule of asList(plan[1].Properties.BackupPlan.BackupPlanRule) as Json[]) {
    const copy = rule.CopyActions?.["Fn::If"];
    if (!Array.isArray(copy) || copy[0] !== "CopyToDr" || copy[2]?.Ref !== "AWS::NoValue") {
      problems.push(`${rule.RuleName}: CopyActions is not !If [CopyToDr, …, !Ref AWS::NoValue]`);
      continue;
    }
    const actions = asList(copy[1]) as Json[];
    if (actions.length !== 1 || !refTo(actions[0]?.DestinationBackupVaultArn, "DrBackupVaultArn"))
      problems.push(`${rule.RuleName}: the copy does not go to DrBackupVaultArn`);
    if (actions[0]?.Lifecycle?.DeleteAfterDays !== rule.Lifecycle?.DeleteAfterDays)
      problems.push(`${rule.RuleName}: the copy is not kept as long as the recovery point (${rule.Lifecycle?.DeleteAfterDays} days)`);
  }
  return problems;
}

/**
 * Rule B (the copy's role and keys): a copy job runs with the backup selection's role; it reads the
 * recovery point, encrypted with this stage's key (the source vault's), and AWS Backup re-encrypts
 * the copy with the destination vault's key ("Encryption for a backup copy to a different account
 * or AWS Region", https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption).
 * So that role may decrypt the data key, and use the DR key (data keys, and grants only for AWS
 * resources: kms:GrantIsForAWSResource); the policy exists under CopyToDr only.
 */
export function copyRoleProblems(base: Template): string[] {
  const selection = Object.values(base.Resources).find((r) => r.Type === "AWS::Backup::BackupSelection");
  const roleId = targetId(selection?.Properties.BackupSelection.IamRoleArn);
  if (!roleId || base.Resources[roleId]?.Type !== "AWS::IAM::Role")
    return ["the backup selection's IamRoleArn is not a role of this template"];
  const role = base.Resources[roleId] as Resource;
  const problems: string[] = [];
  const managed = JSON.stringify(role.Properties.ManagedPolicyArns ?? []);
  if (!managed.includes("service-role/AWSBackupServiceRolePolicyForBackup"))
    problems.push(`${roleId}: no AWSBackupServiceRolePolicyForBackup`);
  const statements = statementsOf(base, roleId);
  const dataKey = (r: Json) => isGetAtt(r, "DataKey", "Arn");
  const drKey = (r: Json) => refTo(r, "DrKeyArn");
  if (!allows(statements, "kms:Decrypt", dataKey)) problems.push(`${roleId} may not kms:Decrypt the data key (the recovery point)`);
  for (const action of ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])
    if (!allows(statements, action, drKey)) problems.push(`${roleId} may not ${action} on DrKeyArn (the copy)`);
  const forAws = (c: Json) => c?.Bool?.["kms:GrantIsForAWSResource"] === "true";
  if (!allows(statements, "kms:CreateGrant", drKey, forAws))
    problems.push(`${roleId} may not kms:CreateGrant on DrKeyArn for AWS resources only`);
  if (
    statements.some(
      (s) => s.Effect === "Allow" && asList(s.Action).some((a: string) => covers(a, "kms:CreateGrant")) && !forAws(s.Condition),
    )
  )
    problems.push(`${roleId} may kms:CreateGrant without kms:GrantIsForAWSResource`);
  if (attachedConditions(base, roleId).some((c) => c !== "CopyToDr"))
    problems.push(`${roleId}: a policy on the DR key exists without CopyToDr`);
  return problems;
}

/**
 * Rule C (the DR stack's key and vault): the vault is encrypted with the stack's own key, which
 * rotates, is retained, and whose policy lets the account delegate its use to IAM policies (the
 * copy and restore roles name it: "Key policies in AWS KMS", default key policy,
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html); the vault's access
 * policy denies everyone the manual deletion of recovery points and the shortening of their life,
 * the actions AWS Config's backup-recovery-point-manual-deletion-disabled looks for
 * (https://docs.aws.amazon.com/config/latest/developerguide/backup-recovery-point-manual-deletion-disabled.html),
 * with no wildcard in Action, which vault access policies do not support
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html).
 */
export function vaultProblems(dr: Template): string[] {
  const problems: string[] = [];
  const vaults = Object.entries(dr.Resources).filter(([, r]) => r.Type === "AWS::Backup::BackupVault");
  if (vaults.length !== 1) return [`expected one vault, found ${vaults.length}`];
  const [vaultId, vault] = vaults[0] as [string, Resource];
  const keyId = targetId(vault.Properties.EncryptionKeyArn);
  const key = keyId ? dr.Resources[keyId] : undefined;
  if (key?.Type !== "AWS::KMS::Key" || !isGetAtt(vault.Properties.EncryptionKeyArn, keyId as string, "Arn"))
    problems.push(`${vaultId} is not encrypted with a key of this stack`);
  else {
    if (key.Properties.EnableKeyRotation !== true) problems.push(`${keyId} does not rotate`);
    if (key.DeletionPolicy !== "Retain" || key.UpdateReplacePolicy !== "Retain") problems.push(`${keyId} is not retained`);
    const root = asList(key.Properties.KeyPolicy.Statement).some(
      (s: Json) => s.Effect === "Allow" && JSON.stringify(s.Principal?.AWS ?? "").includes(":root") && asList(s.Action).includes("kms:*"),
    );
    if (!root) problems.push(`${keyId}: the key policy does not delegate to IAM (the account root)`);
  }
  if (vault.DeletionPolicy !== "Retain") problems.push(`${vaultId} is not retained`);
  const statements = asList(vault.Properties.AccessPolicy?.Statement ?? []) as Json[];
  for (const action of ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]) {
    const denied = statements.some(
      (s) => s.Effect === "Deny" && s.Principal === "*" && s.Resource === "*" && asList(s.Action).includes(action) && !s.Condition,
    );
    if (!denied) problems.push(`${vaultId}'s access policy does not deny ${action} to everyone`);
  }
  for (const s of statements)
    for (const a of asList(s.Action) as string[])
      if (a.includes("*")) problems.push(`${vaultId}'s access policy has a wildcard action ${a}`);
  return problems;
}

/**
 * Rule D (restoring a copy): the role StartRestoreJob passes is AWS Backup's alone (trust
 * backup.amazonaws.com), has AWS's managed restore policy ("Advanced DynamoDB backup": custom roles
 * need AWSBackupServiceRolePolicyForRestores), and may use the DR key, the copies' and the restored
 * table's, and no other.
 */
export function restoreRoleProblems(dr: Template): string[] {
  const role = dr.Resources.DrRestoreRole;
  if (role?.Type !== "AWS::IAM::Role") return ["no DrRestoreRole"];
  const problems: string[] = [];
  const trust = asList(role.Properties.AssumeRolePolicyDocument.Statement);
  if (trust.length !== 1 || trust[0].Principal?.Service !== "backup.amazonaws.com")
    problems.push("DrRestoreRole is not trusted by backup.amazonaws.com alone");
  if (!JSON.stringify(role.Properties.ManagedPolicyArns ?? []).includes("service-role/AWSBackupServiceRolePolicyForRestores"))
    problems.push("DrRestoreRole has no AWSBackupServiceRolePolicyForRestores");
  const statements = statementsOf(dr, "DrRestoreRole");
  const drKey = (r: Json) => isGetAtt(r, "DrKey", "Arn");
  for (const action of ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"])
    if (!allows(statements, action, drKey)) problems.push(`DrRestoreRole may not ${action} on DrKey`);
  for (const s of statements)
    for (const r of asList(s.Resource)) if (!drKey(r)) problems.push(`DrRestoreRole names another resource: ${JSON.stringify(r)}`);
  const output = dr.Outputs.DrRestoreRoleArn?.Value;
  if (!isGetAtt(output, "DrRestoreRole", "Arn")) problems.push("the output DrRestoreRoleArn is not DrRestoreRole's ARN");
  return problems;
}

/**
 * Rule E (replication of exports/ and archive/): only under ReplicateToDr; each rule replicates
 * SSE-KMS objects (SseKmsEncryptedObjects: S3 skips them otherwise), re-encrypts with the DR key
 * named by its full ARN (AWS::S3::Bucket EncryptionConfiguration: with an alias, "AWS KMS resolves
 * the key within the requester's account"), into the DR bucket; the role may read the versions,
 * replicate into those prefixes, and use each key only through S3 of its own region
 * ("Replicating encrypted objects", https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html);
 * the destination bucket is versioned, as replication requires
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-requirements.html).
 */
export function replicationProblems(base: Template, dr: Template): string[] {
  const problems: string[] = [];
  const configuration = base.Resources.DataBucket?.Properties.ReplicationConfiguration?.["Fn::If"];
  if (!Array.isArray(configuration) || configuration[0] !== "ReplicateToDr")
    return ["DataBucket's ReplicationConfiguration is not !If [ReplicateToDr, …]"];
  const { Role, Rules } = configuration[1] as Json;
  const roleId = targetId(Role);
  const prefixes: string[] = [];
  for (const rule of asList(Rules) as Json[]) {
    prefixes.push(rule.Filter?.Prefix);
    if (rule.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status !== "Enabled")
      problems.push(`${rule.Id}: SSE-KMS objects are not replicated`);
    if (!refTo(rule.Destination?.EncryptionConfiguration?.ReplicaKmsKeyID, "DrKeyArn"))
      problems.push(`${rule.Id}: the replica key is not DrKeyArn`);
    if (rule.Destination?.Bucket?.["Fn::Sub"] !== "arn:${AWS::Partition}:s3:::${DrBucketName}")
      problems.push(`${rule.Id}: the destination is not the DR bucket`);
    if (rule.DeleteMarkerReplication?.Status !== "Disabled") problems.push(`${rule.Id}: deletions would be replicated`);
  }
  if (JSON.stringify(prefixes.sort()) !== JSON.stringify(["archive/", "exports/"]))
    problems.push(`replicated prefixes ${prefixes.join(", ")}, not exports/ and archive/`);
  if (!roleId || base.Resources[roleId]?.Condition !== "ReplicateToDr")
    problems.push("the replication role is not a role of this template under ReplicateToDr");
  const statements = roleId ? statementsOf(base, roleId) : [];
  const sub = (r: Json) => String(r?.["Fn::Sub"] ?? "");
  const source = (suffix: string) => (r: Json) => sub(r) === `arn:\${AWS::Partition}:s3:::\${DataBucket}${suffix}`;
  const dest = (suffix: string) => (r: Json) => sub(r) === `arn:\${AWS::Partition}:s3:::\${DrBucketName}${suffix}`;
  if (!allows(statements, "s3:GetReplicationConfiguration", source("")))
    problems.push("the role may not read the replication configuration");
  for (const prefix of ["exports/*", "archive/*"]) {
    if (!allows(statements, "s3:GetObjectVersionForReplication", source(`/${prefix}`)))
      problems.push(`the role may not read the versions of ${prefix}`);
    if (!allows(statements, "s3:ReplicateObject", dest(`/${prefix}`))) problems.push(`the role may not replicate into ${prefix}`);
  }
  const through = (region: string) => (c: Json) => JSON.stringify(c?.StringEquals?.["kms:ViaService"] ?? "").includes(region);
  if (!allows(statements, "kms:Decrypt", (r) => isGetAtt(r, "DataKey", "Arn"), through("s3.${AWS::Region}")))
    problems.push("the role may not decrypt with the data key through S3 of this region");
  if (!allows(statements, "kms:Encrypt", (r) => refTo(r, "DrKeyArn"), through("s3.${DrRegion}")))
    problems.push("the role may not encrypt with the DR key through S3 of the DR region");
  if (dr.Resources.DrBucket?.Properties.VersioningConfiguration?.Status !== "Enabled") problems.push("the DR bucket is not versioned");
  const encryption =
    dr.Resources.DrBucket?.Properties.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault;
  if (!isGetAtt(encryption?.KMSMasterKeyID, "DrKey", "Arn")) problems.push("the DR bucket is not encrypted with the DR key");
  return problems;
}
