import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../../src/core/config";
import { environmentParameters, missingParametersError, resolveParameters, stackTags } from "../../../../src/core/deploy/parameters";

const env = environmentSchema.parse({
  stage: "dev",
  prefix: "dev-",
  timeZone: "Europe/Madrid",
  tags: { team: "data" },
  archivedTables: ["TRAZABILIDAD"],
});

describe("stack parameters", () => {
  it("maps config values to the parameter names templates use", () => {
    expect(environmentParameters(env)).toMatchObject({
      Stage: "dev",
      Prefix: "dev-",
      TimeZone: "Europe/Madrid",
      ExportHour: "19",
      RetentionDays: "7",
      LogRetentionDays: "14",
      ExportSegments: "4",
      ExportSpreadsheetSafe: "false",
      ExportEphemeralStorageMiB: "2048",
      PermissionsBoundaryArn: "",
      AlarmEmail: "",
      EnableBackups: "false",
      ArchiveTrazabilidad: "true",
      ArchiveConfiguration: "false",
    });
  });

  it("fills declared parameters from config, earlier outputs and code keys; reports the unfillable", () => {
    const { parameters, missing } = resolveParameters(
      [
        { name: "Stage", hasDefault: false },
        { name: "DataKeyArn", hasDefault: false },
        { name: "ExportCodeKey", hasDefault: false },
        { name: "Optional", hasDefault: true },
        { name: "Mystery", hasDefault: false },
      ],
      { env, outputs: { DataKeyArn: "arn:key", Unrelated: "x" }, codeKeys: { ExportCodeKey: "lambda/export/abc.zip" } },
    );
    expect(parameters).toEqual([
      { ParameterKey: "Stage", ParameterValue: "dev" },
      { ParameterKey: "DataKeyArn", ParameterValue: "arn:key" },
      { ParameterKey: "ExportCodeKey", ParameterValue: "lambda/export/abc.zip" },
    ]);
    expect(missing).toEqual(["Mystery"]);
    const error = missingParametersError("trace-dev-base", "cloudformation/base.yaml", missing);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("Mystery");
  });

  it("tags stacks with the config's tags plus trace:stage", () => {
    expect(stackTags(env)).toEqual([
      { Key: "team", Value: "data" },
      { Key: "trace:stage", Value: "dev" },
    ]);
  });
});
