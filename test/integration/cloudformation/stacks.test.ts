// Creates every stack, in dependency order, in the emulator's CloudFormation (moto), with the
// parameters the deploy engine passes, then checks what the emulator implements.
//
// moto's CloudFormation skips resource types it does not implement (it logs "No Moto
// CloudFormation support for <type>" and carries on; a !Ref to a skipped resource resolves to
// nothing and a !GetAtt to one fails the stack, so the templates never !GetAtt those). The
// skipped types are listed below and checked exactly, so a type that moto starts to implement,
// or a resource that silently fails to appear, fails this test. Properties moto accepts but does
// not apply are listed in EMULATOR_GAPS: for those the test accepts either the template's value
// or moto's "not applied" answer, and the unit tests check the template itself.
import { createHash } from "node:crypto";
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type Parameter,
  waitUntilStackCreateComplete,
} from "@aws-sdk/client-cloudformation";
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  GetBucketEncryptionCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZipFile } from "yazl";
import { environmentSchema } from "../../../src/core/config";
import { hasDayIndex } from "../../../src/core/export/read-query";
import { configParameters, FUNCTIONS, type FunctionSpec, STACK_OUTPUTS, STACKS, type StackId, stackName } from "../../../src/core/stacks";
import { readStream } from "../../../src/local/streams";
import { conditionHolds, loadTemplate, type Template, templateText } from "../../support/cloudformation";
import { emulatorClients } from "../../support/emulator";

/** Resource types the emulator's CloudFormation skips (moto 5.x): created on AWS only. */
const EMULATOR_UNIMPLEMENTED_TYPES = [
  "AWS::S3::BucketPolicy",
  "AWS::SNS::TopicPolicy",
  "AWS::SNS::Subscription",
  "AWS::Backup::BackupVault",
  "AWS::Backup::BackupPlan",
  "AWS::Backup::BackupSelection",
  "AWS::Scheduler::Schedule",
  "AWS::CloudWatch::Alarm",
  "AWS::Lambda::Alias",
  "AWS::SQS::QueuePolicy",
  "AWS::Pipes::Pipe",
  "AWS::Lambda::EventInvokeConfig",
  "AWS::Logs::MetricFilter",
] as const;

/** Properties moto's CloudFormation accepts but does not apply. */
const EMULATOR_GAPS = {
  ttl: "AWS::DynamoDB::Table TimeToLiveSpecification (DescribeTimeToLive says DISABLED)",
  pitr: "AWS::DynamoDB::Table PointInTimeRecoverySpecification (DescribeContinuousBackups says DISABLED)",
  tableSse: "AWS::DynamoDB::Table SSESpecification (no SSEDescription: moto reads `Enabled`, CloudFormation says `SSEEnabled`)",
  versioning: "AWS::S3::Bucket VersioningConfiguration (GetBucketVersioning has no Status)",
  bucketKey: "AWS::S3::Bucket BucketKeyEnabled (reported false, so not checked here)",
  bucketSettings:
    "AWS::S3::Bucket PublicAccessBlockConfiguration, OwnershipControls, LifecycleConfiguration (not applied, so not checked here)",
  replication: "AWS::S3::Bucket ReplicationConfiguration (GetBucketReplication finds none)",
} as const;

const EMULATOR_ACCOUNT = "123456789012";

function dummyBundle(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new ZipFile();
    zip.addBuffer(Buffer.from("export const handler = async () => ({});\n"), "index.mjs", { mtime: new Date(0) });
    zip.end();
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (c: Buffer) => chunks.push(c));
    zip.outputStream.on("error", reject);
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

describe("the stacks in the emulator's CloudFormation", () => {
  const clients = emulatorClients();
  // A fresh stage (and prefix) per run: every physical name is unique in the shared emulator.
  const stage = `it${createHash("sha256").update(`${process.pid}${Date.now()}`).digest("hex").slice(0, 8)}`;
  // streamTriggers off, as in the built-in local environment: the emulator cannot run the mapping.
  const env = environmentSchema.parse({ stage, prefix: `${stage}-`, timeZone: "Europe/Madrid", streamTriggers: false });
  // The real bootstrap stack is one per account and region; the test uses its own.
  const names: Record<StackId, string> = Object.fromEntries(
    STACKS.map((stack) => [stack, stack === "bootstrap" ? `trace-bootstrap-${stage}` : stackName(env, stack)]),
  ) as Record<StackId, string>;
  const templates = Object.fromEntries(STACKS.map((stack) => [stack, loadTemplate(stack)])) as Record<StackId, Template>;
  const values: Record<string, string> = { ...configParameters(env) };
  const outputs: Record<string, Record<string, string>> = {};
  const created: StackId[] = [];

  async function createStack(stack: StackId, stackValues: Record<string, string>, name = names[stack]): Promise<Record<string, string>> {
    const parameters: Parameter[] = Object.keys(templates[stack].Parameters)
      .filter((key) => stackValues[key] !== undefined)
      .map((key) => ({ ParameterKey: key, ParameterValue: stackValues[key] }));
    await clients.cloudformation.send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: templateText(stack),
        Parameters: parameters,
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
    await waitUntilStackCreateComplete({ client: clients.cloudformation, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { StackName: name });
    const { Stacks } = await clients.cloudformation.send(new DescribeStacksCommand({ StackName: name }));
    expect(Stacks?.[0]?.StackStatus).toBe("CREATE_COMPLETE");
    return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  }

  beforeAll(async () => {
    for (const stack of STACKS) {
      outputs[stack] = await createStack(stack, values);
      created.push(stack);
      Object.assign(values, outputs[stack]);
      if (stack === "bootstrap") {
        // The Lambda code must exist before a function can be created: a small real zip per function.
        const bundle = await dummyBundle();
        const key = `test/${createHash("sha256").update(bundle).digest("hex")}.zip`;
        await clients.s3.send(new PutObjectCommand({ Bucket: values.ArtifactBucketName, Key: key, Body: bundle }));
        for (const fn of Object.values(FUNCTIONS) as FunctionSpec[]) {
          values[fn.codeKeyParameter] = key;
          // The revision deploy computes (revisions.ts): the zip's sha256 as Lambda reports it, and a configuration hash.
          if (fn.revisionParameter)
            values[fn.revisionParameter] = `${createHash("sha256").update(bundle).digest("base64")} 0000000000000000`;
        }
      }
    }
  });

  afterAll(async () => {
    for (const stack of [...created].reverse()) await clients.cloudformation.send(new DeleteStackCommand({ StackName: names[stack] }));
    clients.destroy();
  });

  it("creates every stack in order, each declaring its STACK_OUTPUTS", () => {
    expect(created).toEqual([...STACKS]);
    for (const stack of STACKS) expect(Object.keys(outputs[stack] ?? {}).sort(), stack).toEqual([...STACK_OUTPUTS[stack]].sort());
    expect(outputs.traceability?.TrazabilidadTableName).toBe(`${stage}-TRAZABILIDAD`);
    expect(outputs.audit?.AuditProducerFunctionName).toBe(`${stage}-audit_producer`);
    expect(outputs.audit?.AuditProducerAliasArn).toMatch(new RegExp(`:function:${stage}-audit_producer:learn$`));
    expect(outputs.archive?.ArchiverFunctionName).toBe(`${stage}-archiver`);
  });

  it.each(STACKS)("%s: the emulator creates every resource except the types it does not implement", async (stack) => {
    const { StackResourceSummaries = [] } = await clients.cloudformation.send(new ListStackResourcesCommand({ StackName: names[stack] }));
    // Skipped resources are listed by moto with an empty logical id.
    const made = StackResourceSummaries.map((r) => r.LogicalResourceId)
      .filter(Boolean)
      .sort();
    const withAccount = { ...values, "AWS::AccountId": EMULATOR_ACCOUNT };
    const active = Object.entries(templates[stack].Resources).filter(
      ([, r]) => r.Condition === undefined || conditionHolds(templates[stack], r.Condition, withAccount),
    );
    const expected = active.filter(([, r]) => !(EMULATOR_UNIMPLEMENTED_TYPES as readonly string[]).includes(r.Type)).map(([id]) => id);
    expect(made).toEqual(expected.sort());
  });

  it("the export (its native worker and the day stamper), audit and archive functions (and the archive's enrichment and redrive) exist with the seed names", async () => {
    const physical = new Map<string, string>();
    for (const stack of ["traceability", "audit", "archive"] as const) {
      const { StackResourceSummaries = [] } = await clients.cloudformation.send(new ListStackResourcesCommand({ StackName: names[stack] }));
      for (const r of StackResourceSummaries)
        if (r.ResourceType === "AWS::Lambda::Function") physical.set(r.LogicalResourceId ?? "", r.PhysicalResourceId ?? "");
    }
    expect(Object.fromEntries(physical)).toEqual({
      ExportFunction: `${stage}-trazabilidad_export`,
      NativeExportFunction: `${stage}-trazabilidad_native`,
      StamperFunction: `${stage}-trazabilidad_stamper`,
      AuditProducerFunction: `${stage}-audit_producer`,
      ArchiverFunction: `${stage}-archiver`,
      ClaimCheckFunction: `${stage}-archive_claims`,
      RedriveFunction: `${stage}-archive_redrive`,
    });
  });

  it("TRAZABILIDAD: key schema, stream, on demand; TTL and PITR as far as the emulator reports them", async () => {
    const name = `${stage}-TRAZABILIDAD`;
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(Table?.LatestStreamArn).toBe(outputs.traceability?.TrazabilidadStreamArn);
    expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    // dayIndex defaults to true: the deployed table has the GSI the export queries.
    expect(hasDayIndex(Table)).toBe(true);
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    // EMULATOR_GAPS.ttl: DISABLED is moto not applying TimeToLiveSpecification; anything else must be expiresAt.
    expect(
      [{ TimeToLiveStatus: "DISABLED" }, { TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" }],
      EMULATOR_GAPS.ttl,
    ).toContainEqual(ttl.TimeToLiveDescription);
    const backups = await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: name }));
    expect(["DISABLED", "ENABLED"], EMULATOR_GAPS.pitr).toContain(
      backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus,
    );
    // EMULATOR_GAPS.tableSse: reported only if moto applies it, and then it must be the stage's key.
    if (Table?.SSEDescription) expect(Table.SSEDescription.KMSMasterKeyArn, EMULATOR_GAPS.tableSse).toBe(outputs.base?.DataKeyArn);
  });

  it("Configuration and Audit: key schemas, stream, the history GSI", async () => {
    const configuration = await clients.dynamodb.send(new DescribeTableCommand({ TableName: `${stage}-Configuration` }));
    expect(configuration.Table?.KeySchema).toEqual([{ AttributeName: "key", KeyType: "HASH" }]);
    expect(configuration.Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(configuration.Table?.LatestStreamArn).toBe(outputs.audit?.ConfigurationStreamArn);
    const audit = await clients.dynamodb.send(new DescribeTableCommand({ TableName: `${stage}-Audit` }));
    expect(audit.Table?.KeySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
    expect(audit.Table?.StreamSpecification).toBeUndefined();
    const indexes = audit.Table?.GlobalSecondaryIndexes?.map((i) => ({ name: i.IndexName, keys: i.KeySchema, projection: i.Projection }));
    expect(indexes).toEqual([
      {
        name: outputs.audit?.AuditHistoryIndexName,
        keys: [
          { AttributeName: "itemKey", KeyType: "HASH" },
          { AttributeName: "modificationTime", KeyType: "RANGE" },
        ],
        projection: { ProjectionType: "ALL" },
      },
    ]);
  });

  it("writes to the deployed Configuration table stay readable from its stream (no trigger consumes them locally)", async () => {
    const streamArn = outputs.audit?.ConfigurationStreamArn ?? "";
    const before = await readStream(clients.streams, streamArn);
    await clients.dynamodb.send(
      new PutItemCommand({ TableName: `${stage}-Configuration`, Item: { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } } }),
    );
    const after = await readStream(clients.streams, streamArn, before.checkpoint);
    expect(after.records.map((r) => [r.eventName, r.dynamodb?.NewImage])).toEqual([
      ["INSERT", { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } }],
    ]);
  });

  it("the data bucket is encrypted with the stage's key; versioning as far as the emulator reports it", async () => {
    const bucket = outputs.base?.DataBucketName;
    const encryption = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: "aws:kms",
      KMSMasterKeyID: outputs.base?.DataKeyArn,
    });
    const versioning = await clients.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    // EMULATOR_GAPS.versioning: no Status is moto not applying VersioningConfiguration.
    expect([undefined, "Enabled"], EMULATOR_GAPS.versioning).toContain(versioning.Status);
    expect(outputs.base?.DataKeyAlias).toBe(`alias/trace-${stage}-data`);
  });

  it("the artifact bucket is KMS-encrypted", async () => {
    const encryption = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: outputs.bootstrap?.ArtifactBucketName }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("aws:kms");
  });

  it("base with backups copied to the DR vault, replication to the DR bucket and an alarm e-mail still creates", async () => {
    const other = `${stage}-b`;
    const config = environmentSchema.parse({
      stage: other,
      backups: true,
      alarmEmail: "oncall@example.com",
      drRegion: "eu-central-1",
      replicateData: true,
    });
    // The DR stack's outputs as deploy passes them (the dr stack of this test lives in the emulator's one region).
    const switched = { ...configParameters(config), ...outputs.dr };
    const name = stackName({ stage: other }, "base");
    try {
      const result = await createStack("base", switched, name);
      expect(Object.keys(result).sort()).toEqual([...STACK_OUTPUTS.base].sort());
      const { StackResources } = await clients.cloudformation.send(new DescribeStackResourcesCommand({ StackName: name }));
      const types = (StackResources ?? []).map((r) => `${r.LogicalResourceId} ${r.ResourceType}`);
      expect(types).toEqual(
        expect.arrayContaining([
          "ReplicationRole AWS::IAM::Role",
          "ReplicationPolicy AWS::IAM::Policy",
          "BackupCopyPolicy AWS::IAM::Policy",
        ]),
      );
      // Gap: moto's CloudFormation creates the bucket without its ReplicationConfiguration (the static
      // rules in test/unit/cloudformation/dr.test.ts check it instead).
      await expect(
        clients.s3.send(new GetBucketReplicationCommand({ Bucket: result.DataBucketName })),
        EMULATOR_GAPS.replication,
      ).rejects.toMatchObject({
        name: "ReplicationConfigurationNotFoundError",
      });
    } finally {
      await clients.cloudformation.send(new DeleteStackCommand({ StackName: name }));
    }
  });

  it("deleting the stacks keeps the tables and the data bucket (DeletionPolicy Retain)", async () => {
    for (const stack of [...created].reverse()) await clients.cloudformation.send(new DeleteStackCommand({ StackName: names[stack] }));
    created.length = 0;
    for (const table of ["TRAZABILIDAD", "Configuration", "Audit"]) {
      const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: `${stage}-${table}` }));
      expect(Table?.TableStatus, table).toBe("ACTIVE");
    }
    await clients.s3.send(new HeadBucketCommand({ Bucket: outputs.base?.DataBucketName }));
    await clients.s3.send(new HeadBucketCommand({ Bucket: outputs.bootstrap?.ArtifactBucketName }));
  });
});
