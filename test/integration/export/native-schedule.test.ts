// The scheduled export's choice by size (lambda/export.ts with the traceability stack's
// NATIVE_* variables) against the emulator: a table whose ItemCount / retention is above the
// threshold hands yesterday and today to the native export's state machine, one execution per
// day named by day and scheduled time, input {"day"}; nothing is exported by the function; a
// retried invocation finds the same executions (also when Step Functions answers
// ExecutionAlreadyExists, injected); at or below the threshold the function exports as before.
import { Logger } from "@aws-lambda-powertools/logger";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { CreateStateMachineCommand, DescribeExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, createHandler } from "../../../lambda/export";
import { EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import { createSfnClient } from "../../../src/core/aws/more-clients";
import { emulatorClients, emulatorEndpoint, uniqueName } from "../../support/emulator";
import { createTable, createVersionedBucket, putItems, S, TEST_KEY_ARN } from "./support";

const SCHEDULED = "2026-11-23T18:00:00Z";

/** Fault injection: StartExecution answers ExecutionAlreadyExists, as for a finished execution of that name. */
function alreadyExists(sfn: SFNClient): SFNClient {
  sfn.middlewareStack.add(
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's generic middleware signature
    (next: any, context: any) => async (args: any) => {
      if (context.commandName === "StartExecutionCommand")
        throw Object.assign(new Error("Execution Already Exists"), { name: "ExecutionAlreadyExists", $metadata: { httpStatusCode: 400 } });
      return next(args);
    },
    { step: "initialize", name: "alreadyExists" },
  );
  return sfn;
}

describe("the scheduled export hands big days to the native export", () => {
  const clients = emulatorClients();
  const sfnSettings = { region: "us-east-1", endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 };
  const sfn = createSfnClient(sfnSettings);
  const logger = new Logger({ serviceName: "export-test", logLevel: "CRITICAL" });
  let table: string;
  let bucket: string;
  let machine: string;

  const run = (aboveRows: string, client: SFNClient = sfn) =>
    createHandler({
      clients: { dynamodb: clients.dynamodb, s3: clients.s3, sfn: client },
      logger,
      config: () =>
        configFromEnv({
          TABLE_NAME: table,
          BUCKET_NAME: bucket,
          KMS_KEY_ARN: TEST_KEY_ARN,
          TIME_ZONE: "Europe/Madrid",
          SCAN_SEGMENTS: "1",
          NATIVE_STATE_MACHINE_ARN: machine,
          NATIVE_ABOVE_ROWS: aboveRows,
          TABLE_RETENTION_DAYS: "2",
        }),
      // The clock at the scheduled run: yesterday is within the 2 days of retention then, so its
      // export is redone (on today's clock it would be kept: reexport.test.ts).
      now: () => Date.parse(SCHEDULED) + 5_000,
    })({ scheduledTime: SCHEDULED }, { getRemainingTimeInMillis: () => 900_000 });

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    // 8 items over a retention of 2 days: an estimated 4 rows a day.
    await putItems(
      clients,
      table,
      Array.from({ length: 8 }, (_, i) => ({ id: S(`r${i}`), fecha: S(`2026-11-2${2 + (i % 2)}T1${i}:00:00+01:00`) })),
    );
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: uniqueName("native-export"),
        definition: JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Succeed" } } }),
        roleArn: "arn:aws:iam::123456789012:role/states",
      }),
    );
    machine = created.stateMachineArn as string;
  });
  afterAll(() => {
    clients.destroy();
    sfn.destroy();
  });

  it("above the threshold: one execution per day, input {day}, nothing exported by the function", async () => {
    const result = await run("3");
    expect(result).toMatchObject({ engine: "native", estimatedRowsPerDay: 4, days: [] });
    if (result.engine !== "native") throw new Error("not handed over");
    expect(result.executions.map((e) => [e.day, e.alreadyStarted])).toEqual([
      ["2026-11-22", false],
      ["2026-11-23", false],
    ]);
    const arnBase = machine.replace(":stateMachine:", ":execution:");
    expect(result.executions.map((e) => e.executionArn)).toEqual([
      `${arnBase}:2026-11-22-20261123T180000000Z`,
      `${arnBase}:2026-11-23-20261123T180000000Z`,
    ]);
    for (const e of result.executions) {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      expect(JSON.parse(described.input ?? "{}")).toEqual({ day: e.day });
    }
    const written = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(written.Contents ?? []).toEqual([]);

    // A retried invocation (same scheduled time) finds the same executions.
    const again = await run("3");
    if (again.engine !== "native") throw new Error("not handed over");
    expect(again.executions.map((e) => e.executionArn)).toEqual(result.executions.map((e) => e.executionArn));
    const finished = await run("3", alreadyExists(createSfnClient(sfnSettings)));
    if (finished.engine !== "native") throw new Error("not handed over");
    expect(finished.executions).toEqual(result.executions.map((e) => ({ ...e, alreadyStarted: true })));
  });

  it("at the threshold, or with it off (0): the function exports the days itself", async () => {
    for (const aboveRows of ["4", "0"]) {
      const result = await run(aboveRows);
      expect(result.engine).toBe("function");
      expect(result.days.map((d) => [d.date, d.rows])).toEqual([
        ["2026-11-22", 4],
        ["2026-11-23", 4],
      ]);
    }
  });

  it("refuses a threshold that is not a whole number, naming the variable", () => {
    expect(() =>
      configFromEnv({
        TABLE_NAME: "t",
        BUCKET_NAME: "b",
        KMS_KEY_ARN: "k",
        TIME_ZONE: "UTC",
        NATIVE_STATE_MACHINE_ARN: "arn",
        NATIVE_ABOVE_ROWS: "lots",
      }),
    ).toThrow(/NATIVE_ABOVE_ROWS and TABLE_RETENTION_DAYS must be positive integers/);
  });
});
