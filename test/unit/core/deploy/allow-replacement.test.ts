// A data-losing replacement as real CloudFormation reports it (Replacement "True", and the property
// in Details[].Target), refused unless --allow-replacement names it; let through, the stack policy is
// relaxed for exactly that resource during the update and restored after; termination protection
// follows `protected`. The service is scripted: executing a table or bucket replacement breaks
// moto's stack (see test/integration/deploy/deploy.test.ts), and moto has no UpdateTerminationProtection.
// The change set's shape is copied from "Example change sets" in the CloudFormation User Guide
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-samples.html,
// "Determining the value of the Replacement field"), with the resource and property changed to ours.
import { describe, expect, it, vi } from "vitest";
import { environmentSchema, type ResolvedEnvironment } from "../../../../src/core/config";
import { deploy } from "../../../../src/core/deploy/deploy";
import { stackPolicyBody } from "../../../../src/core/deploy/stack-policy";
import { TraceError } from "../../../../src/core/errors";
import { silentReporter } from "../../../../src/core/reporter";
import { projectRoot } from "../../../support/paths";

const FIXTURES = `${projectRoot}/test/fixtures/cloudformation`;
const STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/trace-bootstrap/1a2345b6-0000-00a0-a123-00abc0abc000";
const CHANGE_SET_ID = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/trace-1/1a2345b6-0000-00a0-a123-00abc0abc000";

const env = (protectedEnv: boolean): ResolvedEnvironment => ({
  ...environmentSchema.parse({ stage: "dev", protected: protectedEnv }),
  name: "dev",
  region: "us-east-1",
  source: "test",
});

const describeChangeSet = {
  StackId: STACK_ID,
  Status: "CREATE_COMPLETE",
  ChangeSetName: "trace-1",
  Parameters: [],
  Changes: [
    {
      ResourceChange: {
        ResourceType: "AWS::S3::Bucket",
        PhysicalResourceId: "trace-bootstrap-artifactbucket-1abc23d4",
        Details: [
          {
            ChangeSource: "DirectModification",
            Evaluation: "Static",
            Target: { Attribute: "Properties", Name: "BucketName", RequiresRecreation: "Always" },
          },
          { ChangeSource: "DirectModification", Evaluation: "Static", Target: { Attribute: "Tags", RequiresRecreation: "Never" } },
        ],
        Action: "Modify",
        Scope: ["Tags", "Properties"],
        LogicalResourceId: "ArtifactBucket",
        Replacement: "True",
      },
      Type: "Resource",
    },
  ],
  StackName: "trace-bootstrap",
  ChangeSetId: CHANGE_SET_ID,
};

function scripted() {
  const calls: { name: string; input: Record<string, unknown> }[] = [];
  let policy: string | undefined = stackPolicyBody();
  let executed = false;
  const send = vi.fn(async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name.replace(/Command$/, "");
    calls.push({ name, input: command.input });
    switch (name) {
      case "DescribeStacks":
        return {
          Stacks: [
            {
              StackId: STACK_ID,
              StackName: "trace-bootstrap",
              StackStatus: executed ? "UPDATE_COMPLETE" : "CREATE_COMPLETE",
              EnableTerminationProtection: false,
              Parameters: [],
              Outputs: [{ OutputKey: "ArtifactBucketName", OutputValue: "trace-bootstrap-artifactbucket-1abc23d4" }],
            },
          ],
        };
      case "CreateChangeSet":
        return { Id: CHANGE_SET_ID, StackId: STACK_ID };
      case "DescribeChangeSet":
        return describeChangeSet;
      case "DeleteChangeSet":
      case "UpdateTerminationProtection":
        return {};
      case "GetStackPolicy":
        return { StackPolicyBody: policy };
      case "SetStackPolicy":
        policy = command.input.StackPolicyBody as string;
        return {};
      case "ExecuteChangeSet":
        executed = true;
        return {};
      case "DescribeStackEvents":
        return { StackEvents: [] };
      default:
        throw new Error(`unexpected ${name}`);
    }
  });
  return { cf: { send } as never, calls, policy: () => policy };
}

const run = (cf: never, options: { allow?: string[]; protectedEnv?: boolean } = {}) =>
  deploy({
    env: env(options.protectedEnv ?? false),
    cloudformation: cf,
    s3: { send: vi.fn() } as never,
    stacks: ["bootstrap"],
    templatesDir: FIXTURES,
    root: projectRoot,
    execute: true,
    reporter: silentReporter,
    allowReplacement: options.allow,
  });

describe("a replacement the service reports", () => {
  it("is refused (exit 4) naming the bucket and BucketName, and the change set is deleted", async () => {
    const { cf, calls } = scripted();
    const error = (await run(cf).catch((e: unknown) => e)) as TraceError;
    expect(error).toBeInstanceOf(TraceError);
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/ArtifactBucket \(AWS::S3::Bucket\) would be replaced, because BucketName changes/);
    expect(error.hint).toMatch(/--allow-replacement ArtifactBucket/);
    const names = calls.map((c) => c.name);
    expect(names).toContain("DeleteChangeSet");
    expect(names).not.toContain("ExecuteChangeSet");
    expect(names).not.toContain("SetStackPolicy");
  });

  it("is refused when --allow-replacement names another resource", async () => {
    const { cf, calls } = scripted();
    const error = (await run(cf, { allow: ["DataBucket"] }).catch((e: unknown) => e)) as TraceError;
    expect(error.exitCode).toBe(4);
    expect(calls.map((c) => c.name)).not.toContain("ExecuteChangeSet");
  });

  it("goes through when named: the policy lets exactly that resource through for the update, then denies again", async () => {
    const { cf, calls, policy } = scripted();
    const result = await run(cf, { allow: ["ArtifactBucket"], protectedEnv: true });
    expect(result.stacks[0]).toMatchObject({
      outcome: "updated",
      dataLoss: [{ logicalId: "ArtifactBucket", action: "Modify", replacement: "True", causes: ["BucketName"], allowed: true }],
    });
    const order = calls.map((c) => c.name).filter((n) => ["SetStackPolicy", "ExecuteChangeSet", "UpdateTerminationProtection"].includes(n));
    expect(order).toEqual(["SetStackPolicy", "ExecuteChangeSet", "SetStackPolicy", "UpdateTerminationProtection"]);
    const [relaxed, restored] = calls.filter((c) => c.name === "SetStackPolicy").map((c) => JSON.parse(c.input.StackPolicyBody as string));
    expect(relaxed.Statement[1]).toMatchObject({ Effect: "Deny", NotResource: ["LogicalResourceId/ArtifactBucket"] });
    expect(relaxed.Statement[1].Resource).toBeUndefined();
    expect(restored.Statement[1]).toMatchObject({ Effect: "Deny", Resource: "*", Action: ["Update:Replace", "Update:Delete"] });
    expect(policy()).toBe(stackPolicyBody());
    expect(calls.find((c) => c.name === "UpdateTerminationProtection")?.input).toEqual({
      StackName: STACK_ID,
      EnableTerminationProtection: true,
    });
  });
});
