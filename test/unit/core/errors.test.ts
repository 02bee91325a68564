import { describe, expect, it } from "vitest";
import { ExitCode, toTraceError } from "../../../src/core/errors";

const awsError = (name: string, message = "boom") =>
  Object.assign(new Error(message), { name, $metadata: { requestId: "req-1", httpStatusCode: 400 } });

describe("toTraceError", () => {
  it.each([
    ["ExpiredTokenException", ExitCode.auth, /aws sso login/],
    ["CredentialsProviderError", ExitCode.auth, /--profile/],
    ["AccessDeniedException", ExitCode.auth, /permission/],
    ["ResourceNotFoundException", ExitCode.notFound, /trace status/],
    ["NoSuchBucket", ExitCode.notFound, /trace status/],
    ["ConditionalCheckFailedException", ExitCode.conflict, undefined],
    ["ProvisionedThroughputExceededException", ExitCode.failed, /--segments/],
  ])("maps %s to exit %i with a hint", (name, exit, hint) => {
    const traced = toTraceError(awsError(name), 'table "x"');
    expect(traced.exitCode).toBe(exit);
    expect(traced.message).toMatch(/^table "x": /);
    expect(traced.requestId).toBe("req-1");
    if (hint) expect(traced.hint).toMatch(hint);
  });

  it("maps aborts to 130", () => {
    expect(toTraceError(Object.assign(new Error("aborted"), { name: "AbortError" })).exitCode).toBe(130);
  });
});
