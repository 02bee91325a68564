// `trace smoke` reports a broken hop: on a separate moto server with IAM enforced, the stacks are
// deployed with an admin's credentials, the functions run with their roles' credentials (the local
// runner assumes each version's execution role), and the archiver's role loses its statement that
// allows writing under archive/. The archive hops fail, naming the archiver's log group, the
// dead-letter queue (with the failed events in it) and the Pipe; the other hops pass.
//
// Emulator gaps, worked around as in test/integration/iam/: moto cannot act as a service principal,
// so each stack role's trust policy is made to trust the test's admin (who assumes it for the
// runner); and moto authorizes DynamoDB, KMS, Logs, Lambda, States, Events and X-Ray only against
// Resource "*", so each role also gets its own statements for those services with Resource "*"
// (only S3 and SQS are enforced against the template's resources, which is what breaks here); and
// moto keeps a CloudFormation-made role's inline policy as Python's repr, which the test puts back as JSON.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import {
  GetRolePolicyCommand,
  type IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { stackName, stacksOf } from "../../../src/core/stacks";
import { type RunningEmulator, startEmulator } from "../../../src/local/emulator";
import { runCli } from "../../support/cli";
import { uniqueName } from "../../support/emulator";
import { projectRoot } from "../../support/paths";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const stage = uniqueName("si");
const dir = mkdtempSync(join(tmpdir(), "trace-smoke-iam-"));
/** The services moto authorizes only against Resource "*" (test/integration/iam/harness.ts). */
const NOT_ENFORCED = ["dynamodb", "kms", "events", "lambda", "logs", "states", "xray"];

let emulator: RunningEmulator;
let admin: { accessKeyId: string; secretAccessKey: string };
let clients: AwsClients;
let iam: IAMClient;

const trace = (args: string[]) =>
  runCli([...args, "--endpoint-url", emulator.endpoint, "--region", REGION], {
    cwd: dir,
    env: {
      AWS_ACCESS_KEY_ID: admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
      AWS_REGION: REGION,
      TRACE_STATE_DIR: join(dir, "state"),
    },
  });

/** The admin user, made with the emulator's three unauthenticated calls (test/support/iam-emulator.py). */
function createAdmin(endpoint: string) {
  const python = join(projectRoot, ".venv", "bin", "python");
  const run = spawnSync(python, [join(projectRoot, "test", "support", "iam-emulator.py")], {
    input: JSON.stringify({ endpoint, credentials: null, op: "admin" }),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout).ok;
}

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[] };
const actionsOf = (s: Statement) => [s.Action].flat();

/** Each role of the stacks: trusted by the admin, and its unenforceable statements also on "*". */
async function adaptRoles(): Promise<Record<string, { role: string; policy: string; statements: Statement[] }>> {
  const roles: Record<string, { role: string; policy: string; statements: Statement[] }> = {};
  // The environment has no drRegion, so no dr stack (stacksOf).
  for (const stack of stacksOf({}).filter((s) => s !== "bootstrap" && s !== "base")) {
    const { StackResourceSummaries } = await clients.cloudformation.send(
      new ListStackResourcesCommand({ StackName: stackName({ stage }, stack) }),
    );
    for (const r of (StackResourceSummaries ?? []).filter((r) => r.ResourceType === "AWS::IAM::Role")) {
      const role = r.PhysicalResourceId as string;
      const trust = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/test-admin` }, Action: "sts:AssumeRole" }],
      };
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: JSON.stringify(trust) }));
      const [policy] = (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
      // moto keeps a CloudFormation-made role's inline policy as Python's repr of it, not JSON:
      // read it back as JSON and put it again, so its own enforcement can parse it.
      const stored = (await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policy }))).PolicyDocument ?? "{}";
      const document = JSON.parse(stored.startsWith("{'") ? stored.replace(/'/g, '"') : decodeURIComponent(stored));
      // A Ref to a resource moto's CloudFormation skipped (an alias) left a statement without Resource:
      // those are Lambda invocations, which moto authorizes only against "*" anyway.
      for (const statement of document.Statement as Statement[]) statement.Resource ??= "*";
      await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: policy, PolicyDocument: JSON.stringify(document) }));
      const statements = document.Statement as Statement[];
      const star = statements
        .filter((s) => actionsOf(s).every((a) => NOT_ENFORCED.includes(a.split(":")[0] as string)))
        .map((s) => ({ Effect: s.Effect, Action: s.Action, Resource: "*" }));
      if (star.length > 0)
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: role,
            PolicyName: "emulator-resource-star",
            PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: star }),
          }),
        );
      roles[r.LogicalResourceId as string] = { role, policy: policy as string, statements };
    }
  }
  return roles;
}

beforeAll(async () => {
  process.env.INITIAL_NO_AUTH_ACTION_COUNT = "3";
  try {
    emulator = await startEmulator({ root: projectRoot, logFile: join(projectRoot, ".trace", "moto-smoke-iam-test.log") });
  } finally {
    delete process.env.INITIAL_NO_AUTH_ACTION_COUNT;
  }
  admin = createAdmin(emulator.endpoint);
  clients = createAwsClients({ region: REGION, endpointUrl: emulator.endpoint, credentials: admin }, more);
  iam = more.createIamClient({ region: REGION, endpointUrl: emulator.endpoint, credentials: admin });
  writeFileSync(
    join(dir, "trace.config.yaml"),
    `defaultEnv: dev
environments:
  dev:
    stage: ${stage}
    region: ${REGION}
    prefix: ${stage}-
    streamTriggers: false
`,
  );
  const deployed = await trace(["deploy", "--yes", "--no-forecast"]);
  expect(deployed.code, deployed.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  clients?.destroy();
  iam?.destroy();
  await emulator?.stop();
});

describe("trace smoke under IAM enforcement", () => {
  it("passes with the templates' policies, and reports the archive hops broken when the archiver may not write archive/", async () => {
    const roles = await adaptRoles();
    const before = await trace(["smoke", "--timeout", "15", "--json"]);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout).passed).toBe(true);

    const archiver = roles.ArchiverRole as { role: string; policy: string; statements: Statement[] };
    const without = archiver.statements.filter((s) => s.Sid !== "PutArchiveObjectsOnly");
    expect(without.length).toBe(archiver.statements.length - 1);
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: archiver.role,
        PolicyName: archiver.policy,
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: without }),
      }),
    );

    const broken = await trace(["smoke", "--timeout", "8", "--json"]);
    expect(broken.code).toBe(1);
    const result = JSON.parse(broken.stdout);
    expect(result.passed).toBe(false);
    const verdicts = Object.fromEntries(result.hops.map((h: { hop: string; verdict: string }) => [h.hop, h.verdict]));
    expect(verdicts).toEqual({
      audit: "pass",
      export: "pass",
      "archive TRAZABILIDAD": "fail",
      "archive Configuration": "fail",
      schedule: "skip",
      cleanup: "pass",
    });
    const hop = result.hops.find((h: { hop: string }) => h.hop === "archive TRAZABILIDAD");
    expect(hop.detail).toContain("was not archived after 8 s");
    expect(hop.lookAt).toEqual([
      `log group /aws/lambda/${stage}-archiver`,
      expect.stringMatching(/^dead-letter queue https?:\/\/\S+ \([1-9]\d* message\(s\)\)$/),
      // The pipes' queue holds pointers only when a pipe could not deliver: not the case here.
      expect.stringMatching(/^pipes' dead-letter queue https?:\/\/\S+ \(0 message\(s\)\)$/),
      `pipe trace-${stage}-archive-trazabilidad`,
    ]);
    expect(broken.stderr).toMatch(/Access ?Denied/i);

    const text = await trace(["smoke", "--timeout", "5"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^FAIL {2}archive TRAZABILIDAD +\d+\.\d s {2}the deletion of trace-smoke-/m);
    expect(text.stdout).toContain(`look at: log group /aws/lambda/${stage}-archiver`);
    expect(text.stdout).toMatch(/hop\(s\) failed/);
  });
});
