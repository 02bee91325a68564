// A function's revision (what its AWS::Lambda::Version is keyed by): a new value exactly when the
// code or the configuration deployed changes, so a redeploy of the same things publishes nothing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../../src/core/config";
import { changeRows } from "../../../../src/core/deploy/change-sets";
import { codeSha256, revisionOf, versionedFunctions } from "../../../../src/core/deploy/revisions";
import { parseTemplateDocument } from "../../../../src/core/deploy/template-values";
import { configParameters } from "../../../../src/core/stacks";
import { projectRoot } from "../../../support/paths";

const document = (stack: string) => parseTemplateDocument(readFileSync(`${projectRoot}/cloudformation/${stack}.yaml`, "utf8"));
const params = (overrides: Record<string, unknown> = {}) =>
  configParameters(environmentSchema.parse({ stage: "dev", prefix: "dev-", ...overrides }));
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("revisions", () => {
  it("carry the package's sha256 as Lambda reports it (base64)", () => {
    expect(codeSha256(EMPTY_SHA256)).toBe("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    expect(revisionOf(document("audit"), "auditProducer", EMPTY_SHA256, params())).toMatch(
      /^47DEQpj8HBSa\+\/TImW\+5JCeuQeRkm5NMpJWZG3hSuFU= [0-9a-f]{16}$/,
    );
  });

  it("change with the code and with the function's configuration, not with what the function does not take", () => {
    const traceability = document("traceability");
    const revision = (sha: string, overrides: Record<string, unknown> = {}) => revisionOf(traceability, "export", sha, params(overrides));
    const base = revision(EMPTY_SHA256);
    expect(revision(EMPTY_SHA256)).toBe(base);
    expect(revision("00".repeat(32)).split(" ")[1]).toBe(base.split(" ")[1]);
    expect(revision("00".repeat(32)).split(" ")[0]).not.toBe(base.split(" ")[0]);
    // TIME_ZONE is in the function's environment; the export hour only feeds the schedule.
    expect(revision(EMPTY_SHA256, { timeZone: "Europe/Madrid" })).not.toBe(base);
    expect(revision(EMPTY_SHA256, { exportHour: 7 })).toBe(base);
  });

  it("name each versioned function of a template with its alias, full and seed names", () => {
    expect(versionedFunctions(document("audit"), params())).toEqual([
      {
        id: "auditProducer",
        logicalId: "AuditProducerFunction",
        functionName: "dev-audit_producer",
        seedName: "audit_producer",
        alias: "learn",
        revisionParameter: "AuditProducerRevision",
      },
    ]);
    expect(versionedFunctions(document("traceability"), params()).map((f) => [f.seedName, f.alias])).toEqual([
      ["trazabilidad_export", "live"],
      ["trazabilidad_native", "live"],
      ["trazabilidad_stamper", "live"],
    ]);
    expect(versionedFunctions(document("archive"), params()).map((f) => [f.seedName, f.alias, f.revisionParameter])).toEqual([
      ["archiver", "live", "ArchiverRevision"],
      ["archive_claims", "live", "ArchiveClaimsRevision"],
      ["archive_redrive", "live", "ArchiveRedriveRevision"],
    ]);
    expect(versionedFunctions(document("drill"), params()).map((f) => [f.seedName, f.alias])).toEqual([["trazabilidad_drill", "live"]]);
  });

  it("leave out a function the environment does not have (the stamper without the day index)", () => {
    const names = versionedFunctions(document("traceability"), params({ dayIndex: false })).map((f) => f.seedName);
    expect(names).toEqual(["trazabilidad_export", "trazabilidad_native"]);
  });

  it("a version's replacement is its publication: not destructive, not data-bearing", () => {
    const [row] = changeRows(
      [
        {
          ResourceChange: {
            Action: "Modify",
            LogicalResourceId: "AuditProducerVersion",
            ResourceType: "AWS::Lambda::Version",
            Replacement: "True",
          },
        },
      ],
      [{ logicalId: "AuditProducerVersion", type: "AWS::Lambda::Version", deletionPolicy: "Retain" }],
    );
    expect(row).toMatchObject({ replacement: "True", dangerous: false, dataBearing: false });
  });
});
