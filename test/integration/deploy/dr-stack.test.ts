// The DR stack through the built CLI against moto: deployed in the environment's drRegion before
// base, whose backup plan parameters name its vault and key; shown by `trace status`; deleted in its
// region by `trace destroy`. moto skips AWS::Backup::* (the vault's name and ARN outputs come from its
// fixed name) and S3 bucket policies; the key, the bucket and the role are created in the DR region.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListKeysCommand } from "@aws-sdk/client-kms";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { describeStack } from "../../../src/core/deploy/stack-state";
import { stackName } from "../../../src/core/stacks";
import { runCli } from "../../support/cli";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";

// Regions of their own: bootstrap is per account and region.
const REGION = "ap-south-2";
const DR_REGION = "ap-southeast-4";
const stage = uniqueName("r");
const env = { stage };

let dir: string;
let home: AwsClients;
let dr: AwsClients;

const trace = (args: string[]) =>
  runCli([...args, "--endpoint-url", emulatorEndpoint(), "--region", REGION], { cwd: dir, env: emulatorEnv() });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "trace-dr-"));
  writeFileSync(
    join(dir, "trace.config.yaml"),
    `defaultEnv: dev
environments:
  dev:
    stage: ${stage}
    region: ${REGION}
    prefix: ${stage}-
    drRegion: ${DR_REGION}
    backups: true
    replicateData: true
    streamTriggers: false
  plain:
    stage: ${stage}p
    region: ${REGION}
    streamTriggers: false
`,
  );
  const settings = { endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS };
  home = createAwsClients({ ...settings, region: REGION }, more);
  dr = createAwsClients({ ...settings, region: DR_REGION }, more);
});
afterAll(() => {
  home.destroy();
  dr.destroy();
});

describe("the dr stack", () => {
  it("must be deployed before base: base alone stops naming it (exit 3)", async () => {
    const result = await trace(["deploy", "base", "--yes"]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`from ${stackName(env, "dr")}, which is not deployed`);
    expect(result.stderr).toContain("trace deploy dr");
  });

  it("is created in drRegion, and base takes its vault, key and bucket", async () => {
    const result = await trace(["deploy", "dr", "base", "--yes", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split("\n").at(-1) as string) as { stacks: { stack: string; outcome: string }[] };
    // bootstrap was created by the first attempt, which stopped at base.
    expect(summary.stacks.map((s) => [s.stack, s.outcome])).toEqual([
      ["dr", "created"],
      ["base", "created"],
    ]);
    expect(await describeStack(home.cloudformation, stackName(env, "dr"))).toBeUndefined();
    const drStack = await describeStack(dr.cloudformation, stackName(env, "dr"));
    expect(drStack?.StackStatus).toBe("CREATE_COMPLETE");
    const outputs = Object.fromEntries((drStack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs.DrBackupVaultName).toBe(`trace-${stage}-dr`);
    expect(outputs.DrBackupVaultArn).toBe(`arn:aws:backup:${DR_REGION}:123456789012:backup-vault:trace-${stage}-dr`);
    expect(outputs.DrKeyArn).toMatch(new RegExp(`^arn:aws:kms:${DR_REGION}:123456789012:key/`));
    // The key is the DR region's (moto answers DescribeKey on keys its CloudFormation made with HTTP 500, docs/deploy.md).
    await dr.loadMore();
    expect((await dr.kms.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyArn)).toContain(outputs.DrKeyArn);
    await dr.s3.send(new HeadBucketCommand({ Bucket: outputs.DrBucketName }));
    const base = await describeStack(home.cloudformation, stackName(env, "base"));
    const parameters = Object.fromEntries((base?.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
    expect(parameters).toMatchObject({
      DrBackupVaultArn: outputs.DrBackupVaultArn,
      DrKeyArn: outputs.DrKeyArn,
      DrBucketName: outputs.DrBucketName,
      EnableBackups: "true",
      ReplicateData: "true",
    });
  });

  it("shows in `trace status` with its outputs, and a second deploy changes nothing", async () => {
    const status = await trace(["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const rows = (JSON.parse(status.stdout) as { stacks: { stack: string; status: string; outputs: Record<string, string> }[] }).stacks;
    expect(rows.map((r) => r.stack)).toEqual(["bootstrap", "dr", "base", "traceability", "audit", "archive", "drill"]);
    expect(rows.find((r) => r.stack === "dr")).toMatchObject({
      status: "CREATE_COMPLETE",
      outputs: { DrBackupVaultName: `trace-${stage}-dr` },
    });
    const again = await trace(["deploy", "dr", "base", "--yes", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${stackName(env, "dr")}: no changes`);
    expect(again.stderr).toContain(`${stackName(env, "base")}: no changes`);
  });

  it("is deleted in its own region by `trace destroy`, its key and bucket retained", async () => {
    const result = await trace(["destroy", "dr", "base", "--yes"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`will delete, in this order: ${stackName(env, "base")}, ${stackName(env, "dr")}`));
    expect(await describeStack(dr.cloudformation, stackName(env, "dr"))).toBeUndefined();
    expect(result.stdout).toMatch(/AWS::KMS::Key/);
    expect(result.stdout).toMatch(/DrBucket +AWS::S3::Bucket/);
  });

  it("is refused for an environment without drRegion (exit 2)", async () => {
    const result = await trace(["--env", "plain", "deploy", "dr", "--yes"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`environment "plain" has no drRegion, so no DR stack`);
  });
});
