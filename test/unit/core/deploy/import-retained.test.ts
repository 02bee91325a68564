// Destroy, then deploy (issue 23 item 6): a base stack created where its retained data bucket (and,
// through the bucket's encryption, its key) still exist imports them first, with an IMPORT change
// set naming each by its identifier, then completes the stack from its template; on an emulator
// (which treats an IMPORT change set as a creation, see docs/deploy.md) it is created as before.
// The service is scripted: the IMPORT change set's shape (Changes with Action "Import") follows
// "Import AWS resources into a CloudFormation stack" in the CloudFormation User Guide.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { environmentSchema, type ResolvedEnvironment } from "../../../../src/core/config";
import { deploy } from "../../../../src/core/deploy/deploy";
import { silentReporter } from "../../../../src/core/reporter";
import { projectRoot } from "../../../support/paths";

const ACCOUNT = "123456789012";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`;
const BUCKET = `trace-dev-data-${ACCOUNT}-us-east-1`;
const BASE_ID = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/trace-dev-base/1a2345b6-0000-00a0-a123-00abc0abc000`;

/** The fixture templates, with a base whose data bucket has a fixed name and is encrypted with the key (as the real one). */
function templates(): string {
  const dir = mkdtempSync(join(tmpdir(), "trace-import-"));
  cpSync(join(projectRoot, "test", "fixtures", "cloudformation"), dir, { recursive: true });
  const base = readFileSync(join(dir, "base.yaml"), "utf8").replace(
    "      VersioningConfiguration: { Status: Enabled }",
    `      BucketName: !Sub "trace-\${Stage}-data-\${AWS::AccountId}-\${AWS::Region}"
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: { SSEAlgorithm: aws:kms, KMSMasterKeyID: !GetAtt DataKey.Arn }
      VersioningConfiguration: { Status: Enabled }`,
  );
  expect(base).toContain("BucketName:");
  writeFileSync(join(dir, "base.yaml"), base);
  return dir;
}

function scripted() {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  let base: "absent" | "IMPORT_COMPLETE" | "UPDATE_COMPLETE" | "CREATE_COMPLETE" = "absent";
  let lastChangeSet = "";
  const send = vi.fn(async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name.replace(/Command$/, "");
    calls.push({ name, input: command.input });
    switch (name) {
      case "DescribeStacks": {
        if (command.input.StackName === "trace-bootstrap")
          return {
            Stacks: [
              {
                StackName: "trace-bootstrap",
                StackStatus: "CREATE_COMPLETE",
                Outputs: [{ OutputKey: "ArtifactBucketName", OutputValue: "artifacts" }],
              },
            ],
          };
        if (base === "absent") throw Object.assign(new Error("Stack with id trace-dev-base does not exist"), { name: "ValidationError" });
        return { Stacks: [{ StackId: BASE_ID, StackName: "trace-dev-base", StackStatus: base, Parameters: [], Outputs: [] }] };
      }
      case "CreateChangeSet":
        lastChangeSet = command.input.ChangeSetType as string;
        return { Id: `${BASE_ID}:changeSet/${lastChangeSet}`, StackId: BASE_ID };
      case "DescribeChangeSet":
        return {
          Status: "CREATE_COMPLETE",
          StackId: BASE_ID,
          Changes:
            lastChangeSet === "IMPORT"
              ? ["DataKey", "DataBucket"].map((id) => ({ Type: "Resource", ResourceChange: { Action: "Import", LogicalResourceId: id } }))
              : ["DataKeyAlias", "AlarmTopic"].map((id) => ({
                  Type: "Resource",
                  ResourceChange: { Action: "Add", LogicalResourceId: id },
                })),
        };
      case "ExecuteChangeSet":
        base = lastChangeSet === "IMPORT" ? "IMPORT_COMPLETE" : "UPDATE_COMPLETE";
        return {};
      case "CreateStack":
        base = "CREATE_COMPLETE";
        return { StackId: BASE_ID };
      case "DescribeStackEvents":
        return { StackEvents: [] };
      case "GetStackPolicy":
        return {};
      case "SetStackPolicy":
      case "DeleteChangeSet":
        return {};
      default:
        throw new Error(`unexpected ${name}`);
    }
  });
  return { cf: { send } as never, calls };
}

const s3 = {
  send: vi.fn(async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name.replace(/Command$/, "");
    if (name === "HeadBucket" && command.input.Bucket === BUCKET) return {};
    if (name === "GetBucketEncryption")
      return {
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KEY_ARN } }],
        },
      };
    throw new Error(`unexpected s3 ${name}`);
  }),
};

const env = (endpointUrl?: string): ResolvedEnvironment => ({
  ...environmentSchema.parse({ stage: "dev", ...(endpointUrl ? { endpointUrl } : {}) }),
  name: "dev",
  region: "us-east-1",
  source: "test",
});

const run = (cf: never, endpointUrl?: string) =>
  deploy({
    env: env(endpointUrl),
    cloudformation: cf,
    s3: s3 as never,
    dynamodb: { send: vi.fn() } as never,
    accountId: async () => ACCOUNT,
    stacks: ["base"],
    templatesDir: templates(),
    root: projectRoot,
    execute: true,
    reporter: silentReporter,
  });

describe("a deploy after trace destroy", () => {
  it("imports the retained bucket and its key into the new stack, then completes it from the template", async () => {
    const { cf, calls } = scripted();
    const result = await run(cf);
    const changeSets = calls.filter((c) => c.name === "CreateChangeSet").map((c) => c.input);
    expect(changeSets.map((c) => c.ChangeSetType)).toEqual(["IMPORT", "UPDATE"]);
    expect(changeSets[0]?.ResourcesToImport).toEqual([
      { ResourceType: "AWS::S3::Bucket", LogicalResourceId: "DataBucket", ResourceIdentifier: { BucketName: BUCKET } },
      { ResourceType: "AWS::KMS::Key", LogicalResourceId: "DataKey", ResourceIdentifier: { KeyId: KEY_ID } },
    ]);
    const imported = JSON.parse(changeSets[0]?.TemplateBody as string);
    expect(Object.keys(imported.Resources).sort()).toEqual(["DataBucket", "DataKey"]);
    expect(imported.Outputs).toBeUndefined();
    expect(imported.Resources.DataBucket.DeletionPolicy).toBe("Retain");
    expect(changeSets[1]?.TemplateBody).toContain("AlarmTopic");
    expect(calls.map((c) => c.name)).not.toContain("CreateStack");
    expect(calls.filter((c) => c.name === "ExecuteChangeSet")).toHaveLength(2);
    expect(result.stacks[0]).toMatchObject({ stack: "base", outcome: "created", status: "UPDATE_COMPLETE" });
  });

  it("on an emulator (an endpoint), creates the stack as before: its CloudFormation cannot import", async () => {
    const { cf, calls } = scripted();
    const result = await run(cf, "http://127.0.0.1:4599");
    expect(calls.map((c) => c.name)).toContain("CreateStack");
    expect(calls.map((c) => c.name)).not.toContain("CreateChangeSet");
    expect(result.stacks[0]).toMatchObject({ stack: "base", outcome: "created" });
  });
});
