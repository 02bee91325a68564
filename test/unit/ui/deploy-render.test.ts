import chalk from "chalk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderChanges, renderEvent } from "../../../src/ui/deploy-render";

const rows = [
  {
    action: "Add",
    logicalId: "Queue",
    physicalId: undefined,
    type: "AWS::SQS::Queue",
    replacement: undefined,
    dataBearing: false,
    dangerous: false,
  },
  {
    action: "Modify",
    logicalId: "Table",
    physicalId: "t",
    type: "AWS::DynamoDB::Table",
    replacement: "True",
    dataBearing: true,
    dangerous: true,
  },
  {
    action: "Modify",
    logicalId: "ExportHour",
    physicalId: undefined,
    type: "Parameter",
    replacement: undefined,
    dataBearing: false,
    dangerous: false,
    detail: "19 → 7",
  },
];

describe("deploy rendering", () => {
  let level: typeof chalk.level;
  beforeEach(() => {
    level = chalk.level;
  });
  afterEach(() => {
    chalk.level = level;
  });

  it("renders the change-set table", () => {
    chalk.level = 0;
    expect(renderChanges({ stackName: "trace-dev-base", changeSetType: "UPDATE", changes: rows })).toMatchInlineSnapshot(`
      "trace-dev-base (update)
      ACTION  LOGICAL ID  TYPE                  REPLACEMENT  DETAIL
      Add     Queue       AWS::SQS::Queue
      Modify  Table       AWS::DynamoDB::Table  True
      Modify  ExportHour  Parameter                          19 → 7"
    `);
  });

  it("paints every cell of a dangerous row red", () => {
    chalk.level = 1;
    const line = renderChanges({ stackName: "s", changeSetType: "UPDATE", changes: rows }).split("\n")[3] ?? "";
    expect(line).toContain(chalk.red("Modify"));
    expect(line).toContain(chalk.red("Table"));
    expect(line).toContain(chalk.red("True"));
  });

  it("renders one line per event: time, status, logical id, reason", () => {
    chalk.level = 0;
    expect(
      renderEvent("trace-dev-base", {
        time: "2026-11-23T10:00:05.000Z",
        status: "CREATE_FAILED",
        logicalId: "Topic",
        type: "AWS::SNS::Topic",
        reason: "Invalid name",
      }),
    ).toBe("  10:00:05  CREATE_FAILED  Topic  Invalid name");
  });
});
