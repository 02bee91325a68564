// The native export's state machine (cloudformation/traceability.yaml) in the emulator's Step
// Functions with its ASL interpreter switched on (moto's `stepfunctions.execute_state_machine`,
// a port of LocalStack's parser). Gaps, asserted so that they stay visible: the parser (moto
// 5.2.5) has no `ItemBatcher`, so it refuses the definition as deployed, naming that field; with
// the three ItemBatchers taken out it accepts the rest (and refuses a broken definition, so the
// acceptance means something), and an execution enters StartExport and invokes the worker with
// the start task. The emulator runs no Lambda function (no container runtime here), so the
// execution fails at that first invoke: the Distributed Maps' own run is not shown; their
// workers' code runs in process in native-engine.test.ts (README "Big days"). Last, how the
// CLI follows an execution (`trace export --engine native --state-machine <arn>`), on stand-in
// machines the interpreter can run: one that ends with a manifest, one that fails.
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import { createSfnClient } from "../../../src/core/aws/more-clients";
import { sleep } from "../../../src/core/sleep";
import { runCli } from "../../support/cli";
import { loadTemplate, resource } from "../../support/cloudformation";
import { emulatorClients, emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";
import { resolveValue } from "../../support/iam-roles";
import { configFile, createTable, createVersionedBucket, TEST_KEY_ARN } from "./support";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const PREFIX = "sm-";
const workerArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${PREFIX}trazabilidad_native`;

/** The definition as CloudFormation hands it to Step Functions (Fn::Sub resolved). */
function definition(): string {
  const template = loadTemplate("traceability");
  const machine = resource(template, "NativeExportStateMachine");
  return resolveValue(template, machine.Properties.DefinitionString, {
    values: { Prefix: PREFIX, "AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT },
    // The tasks invoke the worker's alias live (docs/deploy.md, "Versions and rollback").
    refs: { NativeExportAlias: `${workerArn}:live` },
    arns: { NativeExportFunction: workerArn },
  }) as string;
}

/** Without the Distributed Maps' ItemBatcher (the one field the emulator's parser lacks). */
function withoutBatchers(text: string): string {
  const parsed = JSON.parse(text);
  for (const state of ["CollectColumns", "WriteParts", "MergeRanges"]) delete parsed.States[state].ItemBatcher;
  return JSON.stringify(parsed);
}

/**
 * CreateStateMachine as raw JSON: the emulator answers a refused definition with an empty error
 * code, which the SDK cannot parse, so the body is read here. Returns the status and the body.
 */
async function createMachine(name: string, definition: string, roleArn: string): Promise<{ status: number; body: string }> {
  const answer = await fetch(emulatorEndpoint(), {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": "AWSStepFunctions.CreateStateMachine",
      authorization: `AWS4-HMAC-SHA256 Credential=test/20261204/${REGION}/states/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ name, definition, roleArn }),
  });
  return { status: answer.status, body: await answer.text() };
}

async function setInterpreter(on: boolean): Promise<void> {
  const answer = await fetch(`${emulatorEndpoint()}/moto-api/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ stepfunctions: { execute_state_machine: on } }),
  });
  expect(answer.status).toBe(201);
}

describe("the native export's state machine in the emulator's Step Functions interpreter", () => {
  const sfn = createSfnClient({ region: REGION, endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/${PREFIX}native-export-states`;

  beforeAll(() => setInterpreter(true));
  afterAll(async () => {
    await setInterpreter(false);
    sfn.destroy();
  });

  it("the definition is JSON with two Distributed Maps over the file list, batched, results to S3", () => {
    const parsed = JSON.parse(definition());
    for (const state of ["CollectColumns", "WriteParts"]) {
      expect(parsed.States[state]).toMatchObject({
        Type: "Map",
        ItemReader: { Resource: "arn:aws:states:::s3:getObject", ReaderConfig: { InputType: "JSON" } },
        ItemBatcher: { MaxItemsPerBatch: 4 },
        ItemProcessor: { ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" } },
        ResultWriter: { Resource: "arn:aws:states:::s3:putObject" },
      });
    }
    expect(JSON.stringify(parsed)).not.toContain("${");
  });

  it("gap: the emulator's parser refuses the definition as deployed, for its ItemBatcher only", async () => {
    const refused = await createMachine(uniqueName("asdeployed"), definition(), roleArn);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("ASLParserException");
    expect(refused.body).toContain('at \\"ItemBatcher\\"');
  });

  it("refuses a broken definition (a state of no known type), so the acceptance below means something", async () => {
    // (It accepts a Next to a missing state: its parser checks the grammar, not the graph.)
    const broken = withoutBatchers(definition().replace('"Type": "Wait"', '"Type": "Sleep"'));
    expect(broken).toContain('"Type":"Sleep"');
    const refused = await createMachine(uniqueName("broken"), broken, roleArn);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("ASLParserException");
  });

  it("accepts the rest of the definition and runs an execution into StartExport, which invokes the worker", async () => {
    const created = await createMachine(uniqueName(`${PREFIX}native`), withoutBatchers(definition()), roleArn);
    expect(created.status, created.body).toBe(200);
    const { stateMachineArn } = JSON.parse(created.body) as { stateMachineArn: string };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: "2026-11-22-test", input: JSON.stringify({ day: "2026-11-22" }) }),
    );
    let status = "RUNNING";
    for (let i = 0; i < 100 && status === "RUNNING"; i++) {
      status = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? "RUNNING";
      if (status === "RUNNING") await sleep(100);
    }
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const entered = events.filter((e) => e.type === "TaskStateEntered").map((e) => e.stateEnteredEventDetails?.name);
    expect(entered).toEqual(["StartExport"]);
    const scheduled = events.find((e) => e.type === "TaskScheduled")?.taskScheduledEventDetails;
    const parameters = JSON.parse(scheduled?.parameters ?? "{}");
    expect(parameters).toMatchObject({ FunctionName: `${workerArn}:live`, Payload: { action: "start", day: "2026-11-22" } });
    // No Lambda runtime in the emulator: the invoke fails and the execution with it.
    expect(events.find((e) => e.type === "TaskFailed")?.taskFailedEventDetails?.error).toBe("Lambda.ResourceNotFoundException");
    expect(status).toBe("FAILED");
  });

  describe("trace export --engine native follows the state machine's execution", () => {
    const clients = emulatorClients();
    const config = configFile("Europe/Madrid", 1);
    let table: string;
    let bucket: string;
    beforeAll(async () => {
      table = await createTable(clients);
      bucket = await createVersionedBucket(clients);
    });
    afterAll(() => clients.destroy());
    const manifest = { table: "T", date: "2026-11-22", rows: 3, readPath: "native", sha256: "ab".repeat(32) };
    const machine = async (states: Record<string, unknown>) => {
      const created = await createMachine(uniqueName("standin"), JSON.stringify({ StartAt: "Run", States: states }), roleArn);
      expect(created.status, created.body).toBe(200);
      return (JSON.parse(created.body) as { stateMachineArn: string }).stateMachineArn;
    };
    const exportWith = (arn: string) =>
      runCli(
        [
          "--config",
          config,
          "--json",
          "export",
          "--date",
          "2026-11-22",
          "--engine",
          "native",
          "--state-machine",
          arn,
          "--table",
          table,
          "--bucket",
          bucket,
          "--kms-key",
          TEST_KEY_ARN,
        ],
        { env: emulatorEnv() },
      );

    it("prints the manifest the execution ends with (exit 0)", async () => {
      const arn = await machine({ Run: { Type: "Pass", Result: { manifest }, End: true } });
      const run = await exportWith(arn);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(manifest);
    });

    it("a failed execution exits 1, naming its error, its cause and the execution", async () => {
      const arn = await machine({ Run: { Type: "Fail", Error: "Export.Failed", Cause: "DynamoDB's export failed: S3NoSuchBucket" } });
      const run = await exportWith(arn);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("the native export of 2026-11-22 failed: Export.Failed (DynamoDB's export failed: S3NoSuchBucket)");
      expect(run.stderr).toContain(arn.replace(":stateMachine:", ":execution:"));
    });

    it("--in-process and --state-machine belong to --engine native (exit 2)", async () => {
      const run = await runCli(["--config", config, "export", "--date", "2026-11-22", "--in-process", "--table", table], {
        env: emulatorEnv(),
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("--in-process belongs to the native engine");
    });
  });
});
