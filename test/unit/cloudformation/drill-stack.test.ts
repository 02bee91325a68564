// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are CloudFormation !Sub strings
// The unattended rehearsal (drill.yaml): the worker as every function is made, a state machine whose
// every task is the worker with a step it knows, failing when a check fails, a monthly schedule that
// is off unless configured, alarms on failed and timed-out executions, and restores allowed into the
// scratch tables only ("Using IAM with DynamoDB backup and restore", DynamoDB Developer Guide:
// RestoreTableToPointInTime on the source, read and write on the target).
import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../src/core/config";
import { configParameters } from "../../../src/core/stacks";
import { conditionHolds, type Json, loadTemplate, resource } from "../../support/cloudformation";
import { alarmOn, checkFunction } from "./checks";
import { statementsOf } from "./dr-wiring";

const template = loadTemplate("drill");
const STEPS = ["prepare", "poll", "verify", "cleanup"];

describe("the drill stack", () => {
  it("has the worker made as every function is (name, runtime, code, environment, log group, errors alarm)", () => {
    const [, fn] = checkFunction(template, "drill");
    expect(fn.Properties.Timeout).toBe(900);
  });

  it("runs the worker for every task with a step it knows; a failed check fails the execution, an error cleans up and fails it", () => {
    const definition = JSON.parse(
      (resource(template, "DrillStateMachine").Properties.DefinitionString["Fn::Sub"] as string).replace(/\$\{[^}]+\}/g, "X"),
    ) as { StartAt: string; States: Record<string, Json> };
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === "Task");
    expect(tasks.map(([, s]) => s.Parameters.Payload.step).sort()).toEqual([...STEPS].sort());
    for (const [name, state] of tasks) if (name !== "CleanUp") expect(state.Catch?.[0]?.Next, name).toMatch(/^(CleanUp|Broke)$/);
    expect(definition.States.Passed).toMatchObject({ Type: "Choice", Default: "Failed" });
    expect(definition.States.Failed).toMatchObject({ Type: "Fail", Error: "DrillFailed", CausePath: "$.verdict.summary" });
    expect(definition.States.Restored.Default).toBe("WaitForRestore");
  });

  it("schedules itself monthly, disabled unless drillSchedule is true", () => {
    const schedule = resource(template, "MonthlyDrill").Properties;
    expect(schedule.ScheduleExpression).toBe("cron(0 4 2 * ? *)");
    expect(schedule.ScheduleExpressionTimezone).toEqual({ Ref: "TimeZone" });
    expect(schedule.State).toEqual({ "Fn::If": ["ScheduleOn", "ENABLED", "DISABLED"] });
    const off = configParameters(environmentSchema.parse({ stage: "t" }));
    const on = configParameters(environmentSchema.parse({ stage: "t", drillSchedule: true }));
    expect(conditionHolds(template, "ScheduleOn", off)).toBe(false);
    expect(conditionHolds(template, "ScheduleOn", on)).toBe(true);
  });

  it("alarms on failed and timed-out executions", () => {
    for (const metric of ["ExecutionsFailed", "ExecutionsTimedOut"])
      expect(alarmOn(template, "AWS/States", metric, { Ref: "DrillStateMachine" })?.Properties, metric).toMatchObject({
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmActions: [{ Ref: "AlarmTopicArn" }],
      });
  });

  it("restores the source into its scratch tables only, and deletes nothing else", () => {
    const statements = statementsOf(template, "DrillRole");
    const resources = (action: string) =>
      statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat().map((r: Json) => r["Fn::Sub"] ?? r));
    const table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TrazabilidadTableName}";
    expect(resources("dynamodb:RestoreTableToPointInTime")).toEqual([table]);
    for (const action of ["dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:DeleteTable"])
      expect(resources(action), action).toEqual([`${table}-drill-*`]);
    expect(resources("s3:DeleteObject")).toEqual(["arn:${AWS::Partition}:s3:::${DataBucketName}/drill/*"]);
  });

  // To a caller without s3:ListBucket S3 answers a missing manifest 403, not 404
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"): the worker
  // lists each day's manifest key before reading it, and may list nothing else.
  it("lets the worker list the manifest keys only", () => {
    const listing = statementsOf(template, "DrillRole").filter((s) => [s.Action].flat().includes("s3:ListBucket"));
    expect(listing).toEqual([
      expect.objectContaining({
        Resource: { "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}" },
        Condition: { StringLike: { "s3:prefix": { "Fn::Sub": "exports/${TrazabilidadTableName}/dt=*/_manifest.json" } } },
      }),
    ]);
  });
});
