import { describe, expect, it } from "vitest";
import { changeRows, parameterChangeRows } from "../../../../src/core/deploy/change-sets";

const change = (Action: string, LogicalResourceId: string, ResourceType: string, Replacement?: string) => ({
  Type: "Resource" as const,
  ResourceChange: { Action: Action as "Add", LogicalResourceId, ResourceType, Replacement: Replacement as "True" | undefined },
});

describe("change-set rows", () => {
  it("marks replacements and removals of data-bearing resources as dangerous", () => {
    const rows = changeRows(
      [
        change("Add", "Queue", "AWS::SQS::Queue"),
        change("Modify", "Fn", "AWS::Lambda::Function", "False"),
        change("Modify", "Topic", "AWS::SNS::Topic", "True"),
        change("Modify", "Table", "AWS::DynamoDB::Table", "Conditional"),
        change("Remove", "Bucket", "AWS::S3::Bucket"),
        change("Remove", "Retained", "Custom::Thing"),
        change("Remove", "OldQueue", "AWS::SQS::Queue"),
      ],
      [{ logicalId: "Retained", type: "Custom::Thing", deletionPolicy: "Retain" }],
    );
    expect(rows.map((r) => [r.logicalId, r.dangerous])).toEqual([
      ["Queue", false],
      ["Fn", false],
      ["Topic", true],
      ["Table", true],
      ["Bucket", true],
      ["Retained", true],
      ["OldQueue", false],
    ]);
    expect(rows[0]?.replacement).toBeUndefined();
  });

  it("lists parameters whose value changes, old → new, and skips masked values", () => {
    const rows = parameterChangeRows(
      [
        { ParameterKey: "ExportHour", ParameterValue: "19" },
        { ParameterKey: "Stage", ParameterValue: "dev" },
        { ParameterKey: "Secret", ParameterValue: "****" },
      ],
      [
        { ParameterKey: "ExportHour", ParameterValue: "7" },
        { ParameterKey: "Stage", ParameterValue: "dev" },
        { ParameterKey: "Secret", ParameterValue: "s3cr3t" },
        { ParameterKey: "New", ParameterValue: "x" },
      ],
    );
    expect(rows).toEqual([expect.objectContaining({ action: "Modify", logicalId: "ExportHour", type: "Parameter", detail: "19 → 7" })]);
  });
});
