// `trace deploy / diff / status / destroy` driven through the built CLI against moto, with the real
// templates (cloudformation/). The broken and the table-removing variants are made from them.
// moto gaps met here (see README "Deploying"): no per-resource stack events and no rollback (a
// failing resource fails the ExecuteChangeSet request itself and the stack stays *_IN_PROGRESS);
// change sets compare templates only (a parameter change lists no resource, so trace adds
// parameter rows); stacks created from a CREATE change set get no outputs (trace creates new
// stacks with CreateStack); no drift detection.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetStackPolicyCommand, ListChangeSetsCommand } from "@aws-sdk/client-cloudformation";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { describeStack } from "../../../src/core/deploy/stack-state";
import { stackName, stacksOf } from "../../../src/core/stacks";
import { runCli } from "../../support/cli";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";
import { projectRoot } from "../../support/paths";

// A region of its own: the bootstrap stack is per account and region, and this file must see it created.
const REGION = "eu-south-2";
const TEMPLATES = join(projectRoot, "cloudformation");
const stage = uniqueName("d");
const brokenStage = uniqueName("b");
const prefix = `${stage}-`;

let dir: string;
let clients: AwsClients;

// streamTriggers: false, as in the built-in local environment: moto cannot run the audit stream's
// event source mapping (no Lambda alias; it would run the function in Docker).
function writeConfig(exportHour: number): void {
  writeFileSync(
    join(dir, "trace.config.yaml"),
    `defaultEnv: dev
environments:
  dev:
    stage: ${stage}
    region: ${REGION}
    prefix: ${prefix}
    exportHour: ${exportHour}
    tags: { team: data }
    streamTriggers: false
  other:
    stage: ${brokenStage}
    region: ${REGION}
    prefix: ${brokenStage}-
    streamTriggers: false
`,
  );
}

const trace = (args: string[]) =>
  runCli([...args, "--endpoint-url", emulatorEndpoint(), "--region", REGION], {
    cwd: dir,
    env: emulatorEnv(),
  });

const env = { stage };
// The environments here have no drRegion, so no dr stack (test/integration/deploy/dr-stack.test.ts deploys one).
const STAGE_STACKS = stacksOf({});
const allStacks = () => Promise.all(STAGE_STACKS.map((id) => describeStack(clients.cloudformation, stackName(env, id))));

async function artifactVersions(): Promise<string[]> {
  const bootstrap = await describeStack(clients.cloudformation, "trace-bootstrap");
  const bucket = bootstrap?.Outputs?.find((o) => o.OutputKey === "ArtifactBucketName")?.OutputValue;
  const listed = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return (listed.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`);
}

async function exportHourParameter(): Promise<string | undefined> {
  const stack = await describeStack(clients.cloudformation, stackName(env, "traceability"));
  return stack?.Parameters?.find((p) => p.ParameterKey === "ExportHour")?.ParameterValue;
}

/** `deploy --json` output: NDJSON, one object per line. */
const ndjson = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string } & Record<string, unknown>);

/** The summary line `deploy --json` ends with. */
function summaryOf(stdout: string) {
  const lines = ndjson(stdout);
  const last = lines[lines.length - 1] as unknown as {
    type: string;
    stacks: { stack: string; outcome: string; outputs: Record<string, string> }[];
    uploaded: number;
    artifacts: { uploaded: boolean }[];
  };
  expect(last.type).toBe("summary");
  return { lines, summary: last };
}

/** A copy of one real template, edited, in a directory of its own (for --templates). */
function variant(name: string, stack: string, edit: (body: string) => string): string {
  const target = join(dir, name);
  mkdirSync(target, { recursive: true });
  const body = readFileSync(join(TEMPLATES, `${stack}.yaml`), "utf8");
  const edited = edit(body);
  expect(edited).not.toBe(body);
  writeFileSync(join(target, `${stack}.yaml`), edited);
  return target;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "trace-deploy-"));
  writeConfig(19);
  clients = createAwsClients({ region: REGION, endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS }, more);
});
afterAll(() => clients.destroy());

describe("trace deploy, diff, status and destroy against the emulator", () => {
  it("refuses without a terminal and without --yes (exit 2), creating nothing", async () => {
    const result = await trace(["deploy"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/no terminal to ask on/);
    expect(result.stderr).toMatch(/--yes/);
    expect(await allStacks()).toEqual(STAGE_STACKS.map(() => undefined));
  });

  it("creates every stack on the first deploy, bootstrap first, publishing the eight bundles; --json streams NDJSON", async () => {
    const result = await trace(["deploy", "--yes", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`first deploy to ${REGION}: creating trace-bootstrap`);
    expect(result.stderr).toMatch(/(bundled|unchanged) export: index\.mjs [\d.]+ KiB/);
    const { lines, summary: json } = summaryOf(result.stdout);
    // One line per stack event as it happens (moto records the stack's own CREATE events), then the summary.
    const events = lines.slice(0, -1);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e).toMatchObject({ type: "event", stack: expect.stringMatching(/^trace-/), status: expect.any(String) });
    expect(events.map((e) => e.stack)).toContain(stackName(env, "audit"));
    expect(json.stacks.map((s) => [s.stack, s.outcome])).toEqual(STAGE_STACKS.map((s) => [s, "created"]));
    expect(json.uploaded).toBe(8);
    expect(json.stacks.find((s) => s.stack === "traceability")?.outputs.TrazabilidadTableName).toBe(`${prefix}TRAZABILIDAD`);
    const stacks = await allStacks();
    expect(stacks.map((s) => s?.StackStatus)).toEqual(STAGE_STACKS.map(() => "CREATE_COMPLETE"));
    expect(stacks[1]?.Tags).toEqual(
      expect.arrayContaining([
        { Key: "team", Value: "data" },
        { Key: "trace:stage", Value: stage },
      ]),
    );
    expect(stacks.map((s) => s?.EnableTerminationProtection)).toEqual(STAGE_STACKS.map(() => false));
    const versions = await artifactVersions();
    const bundles = versions.filter((v) => v.startsWith("lambda/"));
    expect(bundles, JSON.stringify(versions)).toHaveLength(8);
    for (const v of bundles)
      expect(v).toMatch(
        /^lambda\/(export|export-native|stamper|audit-producer|archiver|archive-claims|archive-redrive|drill)\/[0-9a-f]{64}\.zip@/,
      );
    // A template over CloudFormation's 51,200-byte TemplateBody goes up by URL, keyed by its content.
    for (const v of versions.filter((x) => !x.startsWith("lambda/"))) expect(v).toMatch(/^templates\/[a-z]+\/[0-9a-f]{64}\.yaml@/);
  });

  it("gives the stacks that hold data a stack policy denying Update:Replace and Update:Delete on tables, buckets and the key", async () => {
    const policies = await Promise.all(
      STAGE_STACKS.map(async (id) => {
        const got = await clients.cloudformation.send(new GetStackPolicyCommand({ StackName: stackName(env, id) }));
        return got.StackPolicyBody ? (JSON.parse(got.StackPolicyBody) as { Statement: Record<string, unknown>[] }) : undefined;
      }),
    );
    // bootstrap (artifact bucket), base (key, data bucket), traceability and audit (tables); archive and drill hold no data.
    expect(policies.map((p) => p !== undefined)).toEqual([true, true, true, true, false, false]);
    for (const policy of policies.slice(0, 4)) {
      expect(policy?.Statement).toContainEqual({
        Effect: "Deny",
        Principal: "*",
        Action: ["Update:Replace", "Update:Delete"],
        Resource: "*",
        Condition: {
          StringEquals: { ResourceType: ["AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket", "AWS::KMS::Key"] },
        },
      });
      expect(policy?.Statement).toContainEqual({ Effect: "Allow", Principal: "*", Action: "Update:*", Resource: "*" });
    }
  });

  it("says 'no changes' for every stack on a second deploy and uploads no artifact", async () => {
    const before = await artifactVersions();
    const result = await trace(["deploy", "--yes", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const { lines, summary: json } = summaryOf(result.stdout);
    expect(lines).toHaveLength(1);
    expect(json.stacks.map((s) => s.outcome)).toEqual(STAGE_STACKS.map(() => "no-changes"));
    expect(json.uploaded).toBe(0);
    expect(json.artifacts).toHaveLength(8);
    for (const s of STAGE_STACKS) expect(result.stderr).toContain(`${stackName(env, s)}: no changes`);
    expect(await artifactVersions()).toEqual(before);
  });

  it("exits 0 from `trace diff --exit-code` when nothing would change", async () => {
    const result = await trace(["diff", "--exit-code", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as { schemaVersion: number; changes: boolean; stacks: { action: string }[] };
    expect(plan.schemaVersion).toBe(1);
    expect(plan.changes).toBe(false);
    expect(plan.stacks.map((s) => s.action)).toEqual(STAGE_STACKS.map(() => "none"));
  });

  it("shows a config value that feeds a parameter in the plan; --exit-code exits 2; nothing is applied", async () => {
    writeConfig(7);
    const json = await trace(["diff", "--json", "--exit-code"]);
    expect(json.code, json.stderr).toBe(2);
    const plan = JSON.parse(json.stdout) as {
      changes: boolean;
      blocked: boolean;
      stacks: {
        stack: string;
        action: string;
        changes: unknown[];
        replacements: unknown[];
        parameters: { name: string; old: string; new: string }[];
      }[];
    };
    expect(plan).toMatchObject({ changes: true, blocked: false });
    const traceability = plan.stacks.find((s) => s.stack === "traceability");
    expect(traceability?.action).toBe("update");
    // The late check's hour follows the export hour (exportLateAfterMinutes 60: 20 → 8).
    expect(traceability?.parameters).toEqual([
      { name: "ExportHour", old: "19", new: "7" },
      { name: "ExportLateCheckHour", old: "20", new: "8" },
    ]);
    expect(traceability?.replacements).toEqual([]);
    expect(plan.stacks.filter((s) => s.stack !== "traceability").map((s) => s.action)).toEqual(["none", "none", "none", "none", "none"]);

    // "no changes" once per stack, in the result on stdout (not again on stderr).
    const unchanged = await trace(["diff", "base"]);
    expect(unchanged.stdout.trim()).toBe(`${stackName(env, "base")}: no changes`);
    expect(unchanged.stderr).not.toContain("no changes");

    const human = await trace(["diff", "traceability"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Modify\s+ExportHour\s+Parameter\s+19 → 7/);
    expect(await exportHourParameter()).toBe("19");
    const sets = await clients.cloudformation.send(new ListChangeSetsCommand({ StackName: stackName(env, "traceability") }));
    expect(sets.Summaries ?? []).toEqual([]);
  });

  it("exits 1, not 2, from `trace diff --exit-code` on a usage error", async () => {
    const unknownStack = await trace(["diff", "--exit-code", "nosuchstack"]);
    expect(unknownStack.code).toBe(1);
    expect(unknownStack.stderr).toMatch(/unknown stack "nosuchstack"/);
    const unknownOption = await trace(["diff", "--exit-code", "--bogus"]);
    expect(unknownOption.code).toBe(1);
    // Without --exit-code the usual usage code stays.
    expect((await trace(["diff", "nosuchstack"])).code).toBe(2);
    const help = await trace(["diff", "--help"]);
    expect(help.stdout).toMatch(/0 {2}no changes {5}2 {2}changes present {5}1 {2}error/);
  });

  it("previews the removal of a data-bearing resource as blocked, with a warning", async () => {
    // The table under a new logical id: CloudFormation would remove the old one and add a new one.
    const removal = variant("removal", "traceability", (body) => body.replace(/\bTrazabilidadTable\b/g, "TrazabilidadTableV2"));
    const result = await trace(["diff", "traceability", "--json", "--templates", removal]);
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      blocked: boolean;
      stacks: {
        changes: { action: string; logicalId: string; blocked: boolean }[];
        replacements: { logicalId: string; replacement: string }[];
      }[];
    };
    expect(plan.blocked).toBe(true);
    expect(plan.stacks[0]?.changes).toContainEqual(
      expect.objectContaining({ action: "Remove", logicalId: "TrazabilidadTable", blocked: true }),
    );
    expect(plan.stacks[0]?.replacements).toContainEqual(expect.objectContaining({ logicalId: "TrazabilidadTable", replacement: "Remove" }));
    expect(result.stderr).toMatch(/warning: trace-d-[0-9a-f]+-traceability: TrazabilidadTable \(AWS::DynamoDB::Table\) would be removed/);
    expect((await describeStack(clients.cloudformation, stackName(env, "traceability")))?.StackStatus).toBe("CREATE_COMPLETE");
  });

  it("refuses a key schema change of a table (exit 4), naming the table and KeySchema, unless --allow-replacement names it", async () => {
    // TRAZABILIDAD keyed on `pk` instead of `id`: DynamoDB cannot change a key, CloudFormation replaces the table.
    const rekeyed = variant("rekeyed", "traceability", (body) =>
      // Every `AttributeName: id` of the table's block: its attribute definitions (both branches of
      // the DayIndex condition) and its key schema.
      body.replace(/\n {2}TrazabilidadTable:\n[\s\S]*?(?=\n {2}\w+:\n)/, (table) =>
        table.replaceAll("AttributeName: id", "AttributeName: pk"),
      ),
    );
    // moto's change set says only "Modify": trace derives the replacement from the template diff.
    const diff = await trace(["diff", "traceability", "--json", "--exit-code", "--templates", rekeyed]);
    expect(diff.code, diff.stderr).toBe(2);
    const plan = JSON.parse(diff.stdout) as { stacks: { replacements: unknown[] }[] };
    expect(plan.stacks[0]?.replacements).toEqual([
      {
        logicalId: "TrazabilidadTable",
        type: "AWS::DynamoDB::Table",
        replacement: "True",
        causes: ["KeySchema"],
        source: "template",
        blocked: true,
      },
    ]);

    const refused = await trace(["deploy", "traceability", "--yes", "--templates", rekeyed]);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(
      /refusing a data-losing change: TrazabilidadTable \(AWS::DynamoDB::Table\) would be replaced, because KeySchema changes/,
    );
    expect(refused.stderr).toMatch(/--allow-replacement TrazabilidadTable/);

    // Allowing another resource does not let this one through.
    const other = await trace(["deploy", "traceability", "--yes", "--templates", rekeyed, "--allow-replacement", "ExportLogGroup"]);
    expect(other.code, other.stderr).toBe(4);
    expect(other.stderr).toMatch(/refusing a data-losing change: TrazabilidadTable/);

    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: `${prefix}TRAZABILIDAD` }));
    expect(table.Table?.KeySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
    const sets = await clients.cloudformation.send(new ListChangeSetsCommand({ StackName: stackName(env, "traceability") }));
    expect(sets.Summaries ?? []).toEqual([]);

    // Letting it through is unit-tested with a scripted client (core/deploy/allow-replacement.test.ts): moto 5.2.5
    // replacing a table in place loses it from the stack's resource map, and every DescribeStacks of the stack then fails.
  });

  it("refuses the pending change without a terminal and without --yes, changing nothing", async () => {
    const result = await trace(["deploy"]);
    expect(result.code, result.stderr).toBe(2);
    expect(await exportHourParameter()).toBe("19");
    const sets = await clients.cloudformation.send(new ListChangeSetsCommand({ StackName: stackName(env, "traceability") }));
    expect(sets.Summaries ?? []).toEqual([]);
  });

  it("reports each stack's state and outputs in `trace status --json`", async () => {
    const result = await trace(["status", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as {
      stacks: { stack: string; status: string; outputs: Record<string, string>; drift?: string }[];
    };
    expect(json.stacks.map((s) => s.status)).toEqual(STAGE_STACKS.map(() => "CREATE_COMPLETE"));
    expect(json.stacks.find((s) => s.stack === "audit")?.outputs.AuditTableName).toBe(`${prefix}Audit`);
    // moto keeps no drift information: status says "unknown" rather than guessing.
    expect(json.stacks[0]?.drift).toBeUndefined();
  });

  it("exits 1 naming the failed resource and its reason when a template is broken", async () => {
    const ok = await trace(["--env", "other", "deploy", "base", "--yes"]);
    expect(ok.code, ok.stderr).toBe(0);
    // The real base plus a resource that cannot be created: a FIFO topic whose name lacks ".fifo".
    const broken = variant("broken", "base", (body) =>
      body.replace(
        /^Resources:\n/m,
        [
          "Resources:",
          "  BrokenTopic:",
          "    Type: AWS::SNS::Topic",
          "    Properties:",
          "      TopicName: !Join ['', [!Ref Prefix, broken]]",
          "      FifoTopic: true",
          "",
        ].join("\n"),
      ),
    );
    const result = await trace(["--env", "other", "deploy", "base", "--yes", "--templates", broken]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      /trace-b-[0-9a-f]+-base failed: BrokenTopic \(AWS::SNS::Topic\) failed: .*Fifo Topic names must end with \.fifo/,
    );
  });

  it("destroys the stage's stacks in reverse order after confirmation; retained tables and bucket remain", async () => {
    const refused = await trace(["destroy"]);
    expect(refused.code, refused.stderr).toBe(2);
    expect((await allStacks()).every((s) => s !== undefined)).toBe(true);

    const result = await trace(["destroy", "--yes", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as {
      stacks: { stack: string; outcome: string }[];
      retained: { type: string; physicalId: string; logicalId: string }[];
    };
    expect(json.stacks.map((s) => [s.stack, s.outcome])).toEqual([
      ["drill", "deleted"],
      ["archive", "deleted"],
      ["audit", "deleted"],
      ["traceability", "deleted"],
      ["base", "deleted"],
    ]);
    const stacks = await allStacks();
    expect(stacks.slice(1)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    // The bootstrap stack is shared by every stage of the account and region: kept unless named.
    expect(stacks[0]?.StackStatus).toBe("CREATE_COMPLETE");

    const tables = json.retained.filter((r) => r.type === "AWS::DynamoDB::Table").map((r) => r.physicalId);
    expect(tables.sort()).toEqual([`${prefix}Audit`, `${prefix}Configuration`, `${prefix}TRAZABILIDAD`]);
    for (const table of tables) {
      const described = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
      expect(described.Table?.TableStatus).toBe("ACTIVE");
    }
    const bucket = json.retained.find((r) => r.logicalId === "DataBucket")?.physicalId;
    expect(bucket).toBeDefined();
    await expect(clients.s3.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
    expect(json.retained.map((r) => r.type)).toContain("AWS::KMS::Key");
    // Listed once: in the result (here --json), not again on stderr.
    expect(result.stderr).not.toMatch(/retained/i);
  });
});
