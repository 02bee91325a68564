// The forecast before a deploy after `trace destroy` (issue 23 item 6), on AWS: the retained tables
// and data bucket are named as to be imported (warn, not fail), and the data key found through the
// bucket's encryption is checked (here scheduled for deletion: fail, with the fix). Every service
// is scripted; nothing is deployed, the account comes from the caller's identity.
import { describe, expect, it, vi } from "vitest";
import { environmentSchema, type ResolvedEnvironment } from "../../../../src/core/config";
import { type ForecastClients, forecast } from "../../../../src/core/deploy/forecast";
import { projectRoot } from "../../../support/paths";

const ACCOUNT = "123456789012";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const DATA_BUCKET = `trace-dev-data-${ACCOUNT}-eu-west-1`;

const env: ResolvedEnvironment = {
  ...environmentSchema.parse({ stage: "dev", prefix: "dev-" }),
  name: "dev",
  region: "eu-west-1",
  source: "test",
};
const fail = (name: string, status = 400) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const scripted = (answer: (name: string, input: Record<string, unknown>) => unknown) => ({
  send: vi.fn(async (command: { constructor: { name: string }; input: Record<string, unknown> }) =>
    answer(command.constructor.name.replace(/Command$/, ""), command.input),
  ),
});

const clients = {
  cloudformation: scripted(() => {
    throw Object.assign(new Error("Stack with id x does not exist"), { name: "ValidationError" });
  }),
  // Every table of the templates is still there (retained).
  dynamodb: scripted((name) =>
    name === "DescribeTable"
      ? { Table: {} }
      : { ContinuousBackupsDescription: { PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: "ENABLED" } } },
  ),
  s3: scripted((name, input) => {
    if (name === "HeadBucket" && input.Bucket === DATA_BUCKET) return {};
    if (name === "GetBucketEncryption" && input.Bucket === DATA_BUCKET)
      return {
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: KEY_ARN } }],
        },
      };
    throw fail("NotFound", 404);
  }),
  kms: scripted((_name, input) => {
    expect(input.KeyId).toBe(KEY_ARN);
    return { KeyMetadata: { KeyState: "PendingDeletion", DeletionDate: new Date("2026-12-31T00:00:00Z") } };
  }),
  logs: scripted(() => ({ logGroups: [] })),
  iam: scripted(() => ({})),
  lambda: scripted(() => {
    throw fail("ResourceNotFoundException", 404);
  }),
  sts: scripted(() => ({ Account: ACCOUNT })),
} as unknown as ForecastClients;

describe("forecast after trace destroy, on AWS", () => {
  it("says the retained tables and data bucket will be imported, and fails on their key scheduled for deletion", async () => {
    const result = await forecast({ env, clients, stacks: [], templatesDir: `${projectRoot}/cloudformation` });
    const byName = (subject: string) => result.checks.find((c) => c.subject === subject);
    for (const subject of ["table dev-TRAZABILIDAD", "table dev-Configuration", "table dev-Audit", `bucket ${DATA_BUCKET}`]) {
      expect(byName(subject), subject).toMatchObject({
        check: "existing-name",
        verdict: "warn",
        detail: expect.stringMatching(
          /retained by `trace destroy`: `trace deploy` imports it into trace-dev-\w+ \(\w+, a CloudFormation resource import\), with its data/,
        ),
      });
    }
    expect(result.checks.find((c) => c.check === "kms-key")).toEqual({
      check: "kms-key",
      subject: `KMS key ${KEY_ARN} (retained with the data bucket; the deploy imports it)`,
      verdict: "fail",
      detail: expect.stringContaining("is scheduled for deletion on 2026-12-31"),
      fix: `aws --region eu-west-1 kms cancel-key-deletion --key-id ${KEY_ARN} && aws --region eu-west-1 kms enable-key --key-id ${KEY_ARN}`,
    });
    expect(result.failed).toBe(1);
  });
});
