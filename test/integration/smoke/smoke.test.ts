// `trace smoke` on the emulator, through the built CLI after a real deploy of every stack: every
// hop passes (the schedule is skipped: moto's CloudFormation creates none), each line has its time,
// and nothing of the canaries is left in the tables, the Audit table or the bucket. Then the
// schedule hop against a schedule made in moto's Scheduler as the template declares it, and one
// that is disabled and points elsewhere.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { CreateScheduleCommand, DeleteScheduleCommand } from "@aws-sdk/client-scheduler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { readStackOutputs } from "../../../src/core/resources";
import { stackName } from "../../../src/core/stacks";
import { runCli } from "../../support/cli";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";

// A region of its own, so this file's stacks and bootstrap meet no other test's.
const REGION = "eu-south-2";
const stage = uniqueName("sm");
const dir = mkdtempSync(join(tmpdir(), "trace-smoke-"));
const env = { ...emulatorEnv(), TRACE_STATE_DIR: join(dir, "state") };
const trace = (args: string[]) => runCli([...args, "--endpoint-url", emulatorEndpoint(), "--region", REGION], { cwd: dir, env });

let clients: AwsClients;
let outputs: Record<string, string>;

beforeAll(async () => {
  writeFileSync(
    join(dir, "trace.config.yaml"),
    `defaultEnv: dev
environments:
  dev:
    stage: ${stage}
    region: ${REGION}
    prefix: ${stage}-
    timeZone: Europe/Madrid
    streamTriggers: false
`,
  );
  const deployed = await trace(["deploy", "--yes", "--no-forecast"]);
  expect(deployed.code, deployed.stderr).toBe(0);
  clients = createAwsClients({ region: REGION, endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS }, more);
  outputs = {};
  for (const stack of ["base", "traceability", "audit", "archive"] as const)
    Object.assign(outputs, await readStackOutputs(clients.cloudformation, stackName({ stage }, stack)));
}, 300_000);

afterAll(() => clients?.destroy());

const smoke = async () => {
  const run = await trace(["smoke", "--timeout", "15", "--json"]);
  return { ...run, result: JSON.parse(run.stdout) };
};

async function nothingLeft(runId: string) {
  const canary = `trace-smoke-${runId}`;
  for (const table of [outputs.ConfigurationTableName, outputs.TrazabilidadTableName, outputs.AuditTableName]) {
    const { Items } = await clients.dynamodb.send(new ScanCommand({ TableName: table }));
    expect(JSON.stringify(Items ?? []), `${table} holds no canary`).not.toContain(canary);
  }
  const versions = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: outputs.DataBucketName }));
  const keys = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].map((v) => v.Key);
  expect(keys.filter((k) => k?.includes(canary) || k?.includes("dt=2000-01-01"))).toEqual([]);
}

describe("trace smoke on the emulator", () => {
  it("passes every hop, one line each with its time, and leaves no canary", async () => {
    const { code, stderr, result } = await smoke();
    expect(code, stderr).toBe(0);
    expect(result.passed).toBe(true);
    expect(result.hops.map((h: { hop: string; verdict: string }) => [h.hop, h.verdict])).toEqual([
      ["audit", "pass"],
      ["export", "pass"],
      ["archive TRAZABILIDAD", "pass"],
      ["archive Configuration", "pass"],
      ["restore", "pass"],
      ["schedule", "skip"],
      ["cleanup", "pass"],
    ]);
    for (const hop of result.hops) expect(hop.ms).toBeGreaterThanOrEqual(0);
    const exported = result.hops.find((h: { hop: string }) => h.hop === "export");
    expect(exported.detail).toContain(`${stage}-trazabilidad_export:live exported 1 row(s) of 2000-01-01`);
    expect(exported.detail).toContain(`aws:kms with ${outputs.DataKeyArn}`);
    await nothingLeft(result.runId);

    const text = await trace(["smoke", "--timeout", "15"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^PASS {2}audit +\d+(\.\d)? m?s {2}Configuration change trace-smoke-/m);
    expect(text.stdout).toMatch(/^SKIP {2}schedule .*does not create AWS::Scheduler::Schedule/m);
    expect(text.stdout).toContain("every hop passed");
  });

  it("checks the schedule when there is one: the template's passes, a disabled one pointing elsewhere fails", async () => {
    const name = `${stage}-trazabilidad-daily`;
    const create = (state: "ENABLED" | "DISABLED", target: string) =>
      clients.scheduler.send(
        new CreateScheduleCommand({
          Name: name,
          ScheduleExpression: "cron(0 19 * * ? *)",
          ScheduleExpressionTimezone: "Europe/Madrid",
          FlexibleTimeWindow: { Mode: "OFF" },
          State: state,
          Target: { Arn: target, RoleArn: `arn:aws:iam::123456789012:role/${stage}-scheduler` },
        }),
      );
    const alias = `arn:aws:lambda:${REGION}:123456789012:function:${stage}-trazabilidad_export:live`;
    await create("ENABLED", alias);
    const good = await smoke();
    expect(good.code, good.stderr).toBe(0);
    expect(good.result.hops.find((h: { hop: string }) => h.hop === "schedule")).toMatchObject({ verdict: "pass" });

    await clients.scheduler.send(new DeleteScheduleCommand({ Name: name }));
    await create("DISABLED", `arn:aws:lambda:${REGION}:123456789012:function:${stage}-trazabilidad_export`);
    const bad = await smoke();
    expect(bad.code).toBe(1);
    const hop = bad.result.hops.find((h: { hop: string }) => h.hop === "schedule");
    expect(hop.verdict).toBe("fail");
    expect(hop.detail).toContain("it is DISABLED");
    expect(hop.detail).toContain(`not ${alias}`);
    expect(hop.lookAt).toEqual([`aws scheduler get-schedule --name ${name}`]);
    await nothingLeft(bad.result.runId);
  });
});
