import { describe, expect, it } from "vitest";
import { parseTemplate, readTemplate } from "../../../../src/core/deploy/templates";
import { projectRoot } from "../../../support/paths";

describe("templates", () => {
  it("reads parameters and resources through short-form intrinsics", () => {
    const parsed = parseTemplate(
      `Parameters:
  Stage: { Type: String }
  Prefix: { Type: String, Default: "" }
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      TableName: !Sub "\${Prefix}T"
      Tags: [{ Key: a, Value: !Ref Stage }]
  Fn:
    Type: AWS::Lambda::Function
    Properties: { Role: !GetAtt R.Arn }
`,
      "t.yaml",
    );
    expect(parsed.parameters).toEqual([
      { name: "Stage", hasDefault: false },
      { name: "Prefix", hasDefault: true },
    ]);
    expect(parsed.resources).toEqual([
      { logicalId: "Table", type: "AWS::DynamoDB::Table", deletionPolicy: "Retain" },
      { logicalId: "Fn", type: "AWS::Lambda::Function", deletionPolicy: undefined },
    ]);
  });

  it("says which template is missing and how to point at another directory", () => {
    expect(() => readTemplate(`${projectRoot}/test`, "base")).toThrow(/no template for stack "base"/);
    expect(() => readTemplate(`${projectRoot}/test`, "base")).toThrow(
      expect.objectContaining({ hint: expect.stringContaining("TRACE_TEMPLATES_DIR") }),
    );
  });

  it("reads a fixture template by stack id", () => {
    const t = readTemplate(`${projectRoot}/test/fixtures/cloudformation`, "traceability");
    expect(t.parameters.map((p) => p.name)).toContain("ExportCodeKey");
  });
});
