// Replacements derived from the template diff (what deploy does when the service, like moto,
// reports a Modify without Replacement or Details), and the data-losing changes it refuses.
import { describe, expect, it } from "vitest";
import type { ChangeRow } from "../../../../src/core/deploy/change-sets";
import { dataLossChanges, deriveReplacements } from "../../../../src/core/deploy/replacements";
import { evaluate, parseTemplateDocument, resourceProperties } from "../../../../src/core/deploy/template-values";

const template = (key: string, extra = "") =>
  parseTemplateDocument(`
Parameters:
  Prefix: { Type: String, Default: "" }
  Boundary: { Type: String, Default: "" }
Conditions:
  HasBoundary: !Not [!Equals [!Ref Boundary, ""]]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "\${Prefix}TRAZABILIDAD"
      BillingMode: ${extra || "PAY_PER_REQUEST"}
      AttributeDefinitions: [{ AttributeName: ${key}, AttributeType: S }]
      KeySchema: [{ AttributeName: ${key}, KeyType: HASH }]
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Join ["", ["/aws/lambda/", !Ref Prefix, "export"]]
  Role:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: !If [HasBoundary, !Ref Boundary, !Ref AWS::NoValue]
`);

const modify = (logicalId: string, type: string): ChangeRow => ({
  action: "Modify",
  logicalId,
  physicalId: undefined,
  type,
  replacement: undefined,
  dataBearing: true,
  dangerous: false,
});

const side = (key: string, prefix: string, extra = "") => ({ document: template(key, extra), context: { parameters: { Prefix: prefix } } });

describe("template values", () => {
  it("evaluates Ref, Sub, Join and If (with AWS::NoValue) against parameter values and defaults", () => {
    const doc = template("id");
    expect(resourceProperties(doc, "Table", { parameters: { Prefix: "dev-" } })?.TableName).toBe("dev-TRAZABILIDAD");
    expect(resourceProperties(doc, "Logs", { parameters: { Prefix: "dev-" } })?.LogGroupName).toBe("/aws/lambda/dev-export");
    expect(resourceProperties(doc, "Role", { parameters: {} })).toEqual({});
    expect(resourceProperties(doc, "Role", { parameters: { Boundary: "arn:aws:iam::1:policy/b" } })).toEqual({
      PermissionsBoundary: "arn:aws:iam::1:policy/b",
    });
    // What cannot be evaluated keeps its long form.
    expect(evaluate(doc, { "Fn::GetAtt": ["Table", "Arn"] }, { parameters: {} })).toEqual({ "Fn::GetAtt": ["Table", "Arn"] });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Sub placeholder, not a JS template
    const sub = { "Fn::Sub": ["${Arn}/x", { Arn: { "Fn::GetAtt": ["Table", "Arn"] } }] };
    expect(evaluate(doc, sub, { parameters: {} })).toEqual(sub);
  });
});

describe("replacements from the template diff", () => {
  it("a renamed key schema replaces the table, caused by KeySchema", () => {
    const [row] = deriveReplacements([modify("Table", "AWS::DynamoDB::Table")], side("id", "dev-"), side("pk", "dev-"));
    expect(row).toMatchObject({ replacement: "True", causes: ["KeySchema"], replacementFrom: "template", dangerous: true });
  });

  it("a prefix parameter that renames the table replaces it, caused by TableName (and the log group by LogGroupName)", () => {
    const rows = deriveReplacements(
      [modify("Table", "AWS::DynamoDB::Table"), modify("Logs", "AWS::Logs::LogGroup")],
      side("id", "dev-"),
      side("id", "stage-"),
    );
    expect(rows.map((r) => [r.logicalId, r.replacement, r.causes])).toEqual([
      ["Table", "True", ["TableName"]],
      ["Logs", "True", ["LogGroupName"]],
    ]);
  });

  it("a change to a property updated in place is no replacement", () => {
    const [row] = deriveReplacements([modify("Table", "AWS::DynamoDB::Table")], side("id", "dev-"), side("id", "dev-", "PROVISIONED"));
    expect(row).toMatchObject({ replacement: "False", causes: [], dangerous: false });
  });

  it("keeps what the service said; other types are left alone", () => {
    const fromService = {
      ...modify("Table", "AWS::DynamoDB::Table"),
      replacement: "True",
      causes: ["KeySchema"],
      replacementFrom: "service" as const,
    };
    const queue = modify("Queue", "AWS::SQS::Queue");
    expect(deriveReplacements([fromService, queue], side("id", "a"), side("id", "b"))).toEqual([fromService, queue]);
  });
});

describe("data-losing changes", () => {
  it("lists replacements and removals of tables, buckets, keys and log groups; --allow-replacement marks one", () => {
    const rows: ChangeRow[] = [
      { ...modify("Table", "AWS::DynamoDB::Table"), replacement: "True", causes: ["KeySchema"] },
      { ...modify("Fn", "AWS::Lambda::Function"), replacement: "True" },
      { ...modify("Bucket", "AWS::S3::Bucket"), action: "Remove" },
      { ...modify("Key", "AWS::KMS::Key"), replacement: "Conditional", causes: ["KeySpec"] },
      { ...modify("Logs", "AWS::Logs::LogGroup"), replacement: "False" },
      { ...modify("Added", "AWS::DynamoDB::Table"), action: "Add" },
    ];
    expect(dataLossChanges(rows, new Set(["Bucket"])).map((d) => [d.logicalId, d.action, d.allowed])).toEqual([
      ["Table", "Modify", false],
      ["Bucket", "Remove", true],
      ["Key", "Modify", false],
    ]);
  });
});
