/**
 * The smoke test's driver on AWS: the deployed Pipe, mapping and rule deliver by themselves (the
 * hops only wait), and a function runs when its alias is invoked through Lambda.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from "@aws-sdk/client-lambda";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { SmokeDriver, SmokeTarget } from "./smoke-types";

/** Invokes synchronously; a function error becomes a TraceError with the end of the function's log. */
async function invoke(lambda: Pick<LambdaClient, "send">, target: SmokeTarget, payload: unknown, signal?: AbortSignal): Promise<unknown> {
  let response: InvokeCommandOutput;
  try {
    response = await lambda.send(
      new InvokeCommand({
        FunctionName: target.functionName,
        Qualifier: target.qualifier,
        Payload: Buffer.from(JSON.stringify(payload)),
        LogType: "Tail",
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    throw toTraceError(error, `invoking ${target.functionName}:${target.qualifier}`);
  }
  const text = response.Payload ? Buffer.from(response.Payload).toString("utf8") : "";
  if (response.FunctionError) {
    const tail = response.LogResult
      ? Buffer.from(response.LogResult, "base64").toString("utf8").trim().split("\n").slice(-3).join(" | ")
      : "";
    throw new TraceError(
      ErrorCode.failed,
      `${target.functionName}:${target.qualifier} failed (${response.FunctionError}): ${text}${tail ? ` — log: ${tail}` : ""}`,
    );
  }
  return text ? JSON.parse(text) : undefined;
}

export function awsDriver(lambda: Pick<LambdaClient, "send">, signal?: AbortSignal): SmokeDriver {
  return {
    emulator: false,
    deliver: async () => {},
    invoke: (target, payload) => invoke(lambda, target, payload, signal),
    close: async () => {},
  };
}
