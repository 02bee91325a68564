// The Lambda concurrency check, whose API (GetAccountSettings) moto 5.2.5 lacks: Lambda is played
// by a scripted client answering with the documented response (test/fixtures/aws-responses/lambda.ts);
// every other service answers "not there yet", as for a first deploy.
import { describe, expect, it, vi } from "vitest";
import { environmentSchema, type ResolvedEnvironment } from "../../../../src/core/config";
import { type ForecastClients, forecast } from "../../../../src/core/deploy/forecast";
import { accountSettings } from "../../../fixtures/aws-responses/lambda";
import { projectRoot } from "../../../support/paths";

const env: ResolvedEnvironment = {
  ...environmentSchema.parse({ stage: "dev", prefix: "dev-" }),
  name: "dev",
  region: "eu-west-1",
  source: "test",
};

const fail = (name: string, status = 400) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

function clients(lambda: (name: string, input: Record<string, unknown>) => unknown): ForecastClients {
  const scripted = (answer: (name: string, input: Record<string, unknown>) => unknown) => ({
    send: vi.fn(async (command: { constructor: { name: string }; input: Record<string, unknown> }) =>
      answer(command.constructor.name.replace(/Command$/, ""), command.input),
    ),
  });
  return {
    cloudformation: scripted(() => {
      throw Object.assign(new Error("Stack with id x does not exist"), { name: "ValidationError" });
    }),
    dynamodb: scripted((name) => {
      throw fail(name === "DescribeTable" ? "ResourceNotFoundException" : "TableNotFoundException");
    }),
    s3: scripted(() => {
      throw fail("NotFound", 404);
    }),
    logs: scripted(() => ({ logGroups: [] })),
    kms: scripted(() => ({})),
    iam: scripted(() => ({})),
    lambda: scripted(lambda),
  } as unknown as ForecastClients;
}

const run = (lambda: (name: string, input: Record<string, unknown>) => unknown) =>
  forecast({ env, clients: clients(lambda), stacks: ["traceability"], templatesDir: `${projectRoot}/cloudformation` });

const notFound = () => {
  throw fail("ResourceNotFoundException", 404);
};

// The traceability stack reserves concurrency 1 for the export and 1 for the day stamper: 2 in all.
describe("forecast: Lambda concurrency for the reserved concurrency of the export and the stamper", () => {
  it("fails on a new account's quota of 10, saying which quota to raise and to what", async () => {
    const result = await run((name) => (name === "GetAccountSettings" ? accountSettings(10, 10) : notFound()));
    const check = result.checks.find((c) => c.check === "lambda-concurrency");
    expect(check).toEqual({
      check: "lambda-concurrency",
      subject: "functions dev-trazabilidad_export, dev-trazabilidad_stamper",
      verdict: "fail",
      detail: expect.stringMatching(/would leave 8 unreserved executions \(account quota 10, unreserved 10\); Lambda keeps at least 100/),
      fix: expect.stringMatching(/"Concurrent executions" quota \(Service Quotas, code L-B99A9384\) to at least 102/),
    });
    expect(result.failed).toBe(1);
  });

  it("passes on the default quota of 1,000", async () => {
    const result = await run((name) => (name === "GetAccountSettings" ? accountSettings(1000, 1000) : notFound()));
    expect(result.checks.find((c) => c.check === "lambda-concurrency")).toMatchObject({
      verdict: "pass",
      detail: "reserving 2 leaves 998 of 1000 unreserved executions (≥ 100)",
    });
    expect(result.failed).toBe(0);
  });

  it("passes without asking the account when the functions already reserve it", async () => {
    const asked: string[] = [];
    const result = await run((name, input) => {
      asked.push(`${name} ${input.FunctionName}`);
      return { ReservedConcurrentExecutions: 1 };
    });
    expect(result.checks.find((c) => c.check === "lambda-concurrency")).toMatchObject({
      verdict: "pass",
      detail: "already reserved (dev-trazabilidad_export: 1, dev-trazabilidad_stamper: 1)",
    });
    expect(asked).toEqual(["GetFunctionConcurrency dev-trazabilidad_export", "GetFunctionConcurrency dev-trazabilidad_stamper"]);
  });

  it("counts only what is not reserved yet: an export that reserves 1 already leaves the stamper's 1 to add", async () => {
    const result = await run((name, input) => {
      if (name === "GetAccountSettings") return accountSettings(101, 100);
      return input.FunctionName === "dev-trazabilidad_export" ? { ReservedConcurrentExecutions: 1 } : notFound();
    });
    expect(result.checks.find((c) => c.check === "lambda-concurrency")).toMatchObject({
      verdict: "fail",
      detail: expect.stringMatching(/reserved concurrency 1 would leave 99 unreserved/),
    });
  });

  it("warns (does not fail) when the caller may not read the settings", async () => {
    const result = await run((name) => {
      if (name === "GetAccountSettings") throw fail("AccessDeniedException", 403);
      return notFound();
    });
    expect(result.checks.find((c) => c.check === "lambda-concurrency")).toMatchObject({
      verdict: "warn",
      fix: "allow lambda:GetAccountSettings for the deploying principal",
    });
  });
});
