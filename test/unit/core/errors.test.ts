import { describe, expect, it } from "vitest";
import { ExitCode, toTraceError, unparsedResponse } from "../../../src/core/errors";

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

  it("a host that does not resolve names the host and the region, not getaddrinfo", () => {
    const error = Object.assign(new Error("getaddrinfo ENOTFOUND cloudformation.xx-nowhere-9.amazonaws.com"), { code: "ENOTFOUND" });
    const traced = toTraceError(error, "stack trace-bootstrap");
    expect(traced.message).toBe(
      "stack trace-bootstrap: no such host cloudformation.xx-nowhere-9.amazonaws.com: the region or the endpoint does not exist, or DNS is unreachable",
    );
    expect(traced.hint).toContain("--region");
  });

  it("a response the SDK cannot parse shows what the endpoint said (moto's error for a half-created stack)", () => {
    // The SDK's error as measured against moto 5.2.5 (DescribeStacks on a stack whose creation failed).
    const error = Object.assign(
      new Error(
        "@aws-sdk XML parse error: unexpected content.\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.",
      ),
      {
        $metadata: { httpStatusCode: 400 },
        $response: {
          statusCode: 400,
          body: '{"__type": "com.amazonaws.dynamodb.v20120810#ResourceInUseException", "message": "Table already exists: local-TRAZABILIDAD"}',
        },
      },
    );
    expect(unparsedResponse(error)).toBe("ResourceInUseException: Table already exists: local-TRAZABILIDAD");
    expect(toTraceError(error).message).toBe(
      "the endpoint sent no valid AWS response (HTTP 400): ResourceInUseException: Table already exists: local-TRAZABILIDAD",
    );
    expect(unparsedResponse(new Error("other"))).toBeUndefined();
  });
});
