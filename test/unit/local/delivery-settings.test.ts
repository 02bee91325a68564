// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation !Sub strings, not JS templates
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LAMBDA_ASYNC_DEFAULT_RETRIES, readDeliverySettings } from "../../../src/local/delivery-settings";
import { matchesEventPattern } from "../../../src/local/event-pattern";
import { loadTemplate, onlyResource } from "../../support/cloudformation";
import { projectRoot } from "../../support/paths";

const templates = join(projectRoot, "cloudformation");

/** A copy of the templates with one text replacement in one of them. */
function editedTemplates(file: string, from: string, to: string): string {
  const dir = mkdtempSync(join(tmpdir(), "trace-templates-"));
  cpSync(templates, dir, { recursive: true });
  const text = readFileSync(join(dir, file), "utf8");
  expect(text).toContain(from);
  writeFileSync(join(dir, file), text.replaceAll(from, to));
  return dir;
}

describe("readDeliverySettings (the templates' delivery settings, for local mode)", () => {
  it("reads the audit mapping's settings and its on-failure bucket as the template declares them", () => {
    const [, mapping] = onlyResource(loadTemplate("audit"), "AWS::Lambda::EventSourceMapping");
    const settings = readDeliverySettings(templates);
    expect(settings.audit).toEqual({
      logicalId: expect.any(String),
      batchSize: mapping.Properties.BatchSize,
      reportBatchItemFailures: true,
      bisectBatchOnFunctionError: mapping.Properties.BisectBatchOnFunctionError,
      maximumRetryAttempts: mapping.Properties.MaximumRetryAttempts,
      maximumRecordAgeInSeconds: mapping.Properties.MaximumRecordAgeInSeconds,
      onFailure: { type: "s3", output: "DataBucketName" },
    });
  });

  it("reads each Pipe's source, filter and retries, the rule's pattern and the archiver's dead-letter queue", () => {
    const settings = readDeliverySettings(templates);
    expect(settings.pipes.map((p) => p.sourceParameter).sort()).toEqual(["ConfigurationStreamArn", "TrazabilidadStreamArn"]);
    for (const pipe of settings.pipes) {
      expect(pipe.filterPatterns).toEqual([{ eventName: ["REMOVE"] }]);
      expect(pipe.deadLetterQueueOutput).toBe("PipeDeadLetterQueueUrl");
      expect(pipe.maximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(pipe).toMatchObject({ enrichment: "archiveClaims", source: "trace.archive", detailType: "DynamoDB Stream Record" });
      expect(pipe.name).toMatch(/^trace-\$\{Stage\}-archive-(trazabilidad|configuration)$/);
    }
    expect(settings.archive).toEqual({
      rulePattern: { source: ["trace.archive"], detail: { eventName: ["REMOVE"] } },
      functionRetryAttempts: LAMBDA_ASYNC_DEFAULT_RETRIES,
      functionDeadLetterQueueOutput: "ArchiveDeadLetterQueueUrl",
    });
  });

  it("follows the templates when they change (nothing is copied into the code)", () => {
    const audit = readDeliverySettings(editedTemplates("audit.yaml", "MaximumRetryAttempts: 5", "MaximumRetryAttempts: 1")).audit;
    expect(audit.maximumRetryAttempts).toBe(1);
    const noBisect = readDeliverySettings(
      editedTemplates("audit.yaml", "BisectBatchOnFunctionError: true", "BisectBatchOnFunctionError: false"),
    );
    expect(noBisect.audit.bisectBatchOnFunctionError).toBe(false);
    const invokeConfig = editedTemplates(
      "archive.yaml",
      "  ArchiveRule:\n",
      "  ArchiverInvokeConfig:\n    Type: AWS::Lambda::EventInvokeConfig\n    Properties:\n      FunctionName: !Ref ArchiverFunction\n      Qualifier: $LATEST\n      MaximumRetryAttempts: 0\n\n  ArchiveRule:\n",
    );
    expect(readDeliverySettings(invokeConfig).archive.functionRetryAttempts).toBe(0);
  });

  it("names the output to add when a failure queue has none", () => {
    const dir = editedTemplates("archive.yaml", "    Value: !Ref PipeDeadLetterQueue\n", "    Value: !GetAtt PipeDeadLetterQueue.Arn\n");
    expect(() => readDeliverySettings(dir)).toThrow(/no stack output is !Ref PipeDeadLetterQueue/);
  });

  it("reads an SQS on-failure destination too, and refuses a bucket it cannot name", () => {
    const queue = editedTemplates(
      "audit.yaml",
      'Destination: !Sub "arn:${AWS::Partition}:s3:::${DataBucketName}"',
      "Destination: !GetAtt AuditProducerLogGroup.Arn",
    );
    expect(() => readDeliverySettings(queue)).toThrow(/no stack output is !Ref AuditProducerLogGroup/);
    const bucket = editedTemplates("audit.yaml", 's3:::${DataBucketName}"\n', 's3:::my-bucket"\n');
    expect(() => readDeliverySettings(bucket)).toThrow(/sends to a bucket local mode cannot find/);
  });

  it("names the handler behind each pipe's enrichment by its code key", () => {
    const dir = editedTemplates("archive.yaml", "S3Key: !Ref ArchiveClaimsCodeKey", "S3Key: !Ref SomeOtherCodeKey");
    expect(() => readDeliverySettings(dir)).toThrow(/Enrichment is not a function of this template with a known code key/);
  });
});

describe("matchesEventPattern", () => {
  it("matches exact values, nested fields and array values; refuses operators it does not know", () => {
    const pattern = { source: ["trace.archive"], detail: { eventName: ["REMOVE"] } };
    expect(matchesEventPattern(pattern, { source: "trace.archive", detail: { eventName: "REMOVE" } })).toBe(true);
    expect(matchesEventPattern(pattern, { source: "trace.archive", detail: { eventName: "INSERT" } })).toBe(false);
    expect(matchesEventPattern(pattern, { source: "trace.archive" })).toBe(false);
    expect(matchesEventPattern({ tags: ["a"] }, { tags: ["b", "a"] })).toBe(true);
    expect(() => matchesEventPattern({ eventName: [{ prefix: "RE" }] }, { eventName: "REMOVE" })).toThrow(/not supported locally/);
  });
});
