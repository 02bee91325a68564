// How deploy treats stacks left in a bad state. moto cannot put a stack in ROLLBACK_COMPLETE or
// UPDATE_ROLLBACK_FAILED (it never rolls back), so the service is played by a scripted client.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { environmentSchema, type ResolvedEnvironment } from "../../../../src/core/config";
import { deploy } from "../../../../src/core/deploy/deploy";
import { TraceError } from "../../../../src/core/errors";
import type { Reporter } from "../../../../src/core/reporter";
import { projectRoot } from "../../../support/paths";

const FIXTURES = `${projectRoot}/test/fixtures/cloudformation`;
const env: ResolvedEnvironment = { ...environmentSchema.parse({ stage: "dev" }), name: "dev", region: "us-east-1", source: "test" };
const OLD = "arn:aws:cloudformation:us-east-1:123456789012:stack/trace-bootstrap/old";
const NEW = "arn:aws:cloudformation:us-east-1:123456789012:stack/trace-bootstrap/new";

/** The bootstrap stack starts in `status`; DeleteStack and CreateStack complete at once. */
function scripted(status: string) {
  const calls: string[] = [];
  let current: { id: string; status: string } | undefined = { id: OLD, status };
  const send = vi.fn(async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name.replace(/Command$/, "");
    calls.push(name);
    switch (name) {
      case "DescribeStacks": {
        const wanted = command.input.StackName as string;
        if (wanted === OLD && current?.id !== OLD)
          return { Stacks: [{ StackId: OLD, StackName: "trace-bootstrap", StackStatus: "DELETE_COMPLETE" }] };
        if (!current) throw Object.assign(new Error("Stack with id trace-bootstrap does not exist"), { name: "ValidationError" });
        return {
          Stacks: [
            {
              StackId: current.id,
              StackName: "trace-bootstrap",
              StackStatus: current.status,
              Outputs: [{ OutputKey: "ArtifactBucketName", OutputValue: "b" }],
            },
          ],
        };
      }
      case "DescribeStackEvents":
        return { StackEvents: [] };
      case "DeleteStack":
        current = undefined;
        return {};
      case "CreateStack":
        current = { id: NEW, status: "CREATE_COMPLETE" };
        return { StackId: NEW };
      default:
        throw new Error(`unexpected ${name}`);
    }
  });
  return { cf: { send } as never, calls };
}

function reporter(answer: boolean) {
  const lines: string[] = [];
  const questions: string[] = [];
  const r: Reporter = {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    debug: () => {},
    progress: () => ({ update() {}, succeed() {}, fail() {}, stop() {} }),
    confirm: async (q) => {
      questions.push(q);
      return answer;
    },
    choose: async (_q, _c, fallback) => fallback,
  };
  return { reporter: r, lines, questions };
}

const run = (cf: never, r: Reporter) =>
  deploy({
    env,
    cloudformation: cf,
    s3: { send: vi.fn() } as never,
    stacks: ["bootstrap"],
    templatesDir: FIXTURES,
    root: projectRoot,
    execute: true,
    reporter: r,
  });

describe("deploying over stacks in a bad state", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("explains ROLLBACK_COMPLETE and, once confirmed, deletes the stack and creates it again", async () => {
    const { cf, calls } = scripted("ROLLBACK_COMPLETE");
    const { reporter: r, lines, questions } = reporter(true);
    const done = run(cf, r);
    await vi.runAllTimersAsync();
    const result = await done;
    expect(lines.join("\n")).toMatch(
      /trace-bootstrap is in ROLLBACK_COMPLETE: its first creation failed.*can only be deleted and created again/,
    );
    expect(questions[0]).toBe("Delete the failed stack trace-bootstrap and create it again?");
    expect(calls.indexOf("DeleteStack")).toBeLessThan(calls.indexOf("CreateStack"));
    expect(result.stacks[0]).toMatchObject({ outcome: "replaced", status: "CREATE_COMPLETE" });
  });

  it("leaves a ROLLBACK_COMPLETE stack alone when the replacement is declined", async () => {
    const { cf, calls } = scripted("ROLLBACK_COMPLETE");
    const done = run(cf, reporter(false).reporter).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const error = (await done) as TraceError;
    expect(error).toBeInstanceOf(TraceError);
    expect(error.exitCode).toBe(1);
    expect(calls).not.toContain("DeleteStack");
    expect(calls).not.toContain("CreateStack");
  });

  it("refuses UPDATE_ROLLBACK_FAILED with the way out", async () => {
    const { cf, calls } = scripted("UPDATE_ROLLBACK_FAILED");
    const error = (await run(cf, reporter(true).reporter).catch((e: unknown) => e)) as TraceError;
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/trace-bootstrap is in UPDATE_ROLLBACK_FAILED/);
    expect(error.hint).toMatch(
      /aws (--endpoint-url \S+ )?--region [a-z0-9-]+ cloudformation continue-update-rollback --stack-name trace-bootstrap/,
    );
    expect(calls).toEqual(["DescribeStacks"]);
  });

  it("refuses a stack that is busy with another operation", async () => {
    const { cf } = scripted("UPDATE_IN_PROGRESS");
    const error = (await run(cf, reporter(true).reporter).catch((e: unknown) => e)) as TraceError;
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(/busy \(UPDATE_IN_PROGRESS\)/);
  });
});
