// The smoke test's driver on AWS invokes a function's alias through Lambda's Invoke API: the
// response shape (Payload, FunctionError "Unhandled", LogResult = the last 4 KB of the log, base64)
// is the one the Lambda API Reference documents for Invoke with LogType Tail. Lambda is scripted:
// no emulator here runs a function.
import { describe, expect, it, vi } from "vitest";
import { TraceError } from "../../../../src/core/errors";
import { awsDriver } from "../../../../src/core/smoke/aws-driver";

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function lambda(response: Record<string, unknown>) {
  const calls: Record<string, unknown>[] = [];
  return {
    calls,
    client: {
      send: vi.fn(async (command: { input: Record<string, unknown> }) => {
        calls.push(command.input);
        return response;
      }),
    } as never,
  };
}

describe("the smoke test's AWS driver", () => {
  it("invokes the alias synchronously with the payload and returns the function's result", async () => {
    const { client, calls } = lambda({ StatusCode: 200, ExecutedVersion: "7", Payload: encode({ engine: "function", days: [] }) });
    const driver = awsDriver(client);
    expect(driver.emulator).toBe(false);
    await expect(driver.deliver()).resolves.toBeUndefined();
    expect(await driver.invoke({ functionName: "dev-trazabilidad_export", qualifier: "live" }, { days: ["2000-01-01"] })).toEqual({
      engine: "function",
      days: [],
    });
    expect(calls[0]).toMatchObject({ FunctionName: "dev-trazabilidad_export", Qualifier: "live", LogType: "Tail" });
    expect(JSON.parse(Buffer.from(calls[0]?.Payload as Uint8Array).toString("utf8"))).toEqual({ days: ["2000-01-01"] });
  });

  it("turns a function error into a failure naming the function, its error and the end of its log", async () => {
    const log = "START RequestId: 1\nERROR export failed AccessDenied\nEND RequestId: 1\nREPORT RequestId: 1 Duration: 12 ms\n";
    const { client } = lambda({
      StatusCode: 200,
      FunctionError: "Unhandled",
      LogResult: Buffer.from(log).toString("base64"),
      Payload: encode({ errorType: "AccessDenied", errorMessage: "Access Denied" }),
    });
    const error = (await awsDriver(client)
      .invoke({ functionName: "dev-trazabilidad_export", qualifier: "live" }, {})
      .catch((e: unknown) => e)) as TraceError;
    expect(error).toBeInstanceOf(TraceError);
    expect(error.message).toContain("dev-trazabilidad_export:live failed (Unhandled)");
    expect(error.message).toContain('"errorMessage":"Access Denied"');
    expect(error.message).toContain("log: ERROR export failed AccessDenied | END RequestId: 1 | REPORT RequestId: 1 Duration: 12 ms");
  });
});
