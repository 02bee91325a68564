// The deployed functions behind the local streams, through the function runner: the audit stream's
// batches go to the alias the event source mapping invokes (learn), the bus events to the alias the
// rule invokes (live), each running the version that alias names, as on AWS.

import { join } from "node:path";
import type { DynamoDBBatchResponse } from "aws-lambda";
import type { AwsClients } from "../core/aws/clients";
import type { EnvironmentConfig } from "../core/config";
import type { Reporter } from "../core/reporter";
import { resolveOutputs } from "../core/resources";
import { FunctionRunner, type InvokeTarget } from "./function-runner";
import { stateDir } from "./state";
import type { LocalHandlers } from "./streams-run";

export interface DeployedHandlers {
  handlers: LocalHandlers;
  /** Invokes any function's alias (the smoke test's export). */
  invoke(target: InvokeTarget, event: unknown): Promise<unknown>;
  /** Ends the functions' processes. */
  close(): Promise<void>;
}

/**
 * Handlers that invoke the deployed aliases. The runner starts at the first invocation, so the
 * handlers can be made before the stacks are deployed (the demo deploys first).
 */
export function deployedHandlers(
  clients: AwsClients,
  env: Pick<EnvironmentConfig, "stage">,
  root: string,
  reporter: Reporter,
): DeployedHandlers {
  let runner: Promise<FunctionRunner> | undefined;
  const start = async () => {
    await clients.loadMore(); // Lambda, STS
    const { ArtifactBucketName } = await resolveOutputs(clients.cloudformation, env, ["ArtifactBucketName"]);
    return new FunctionRunner({ clients, artifactBucket: ArtifactBucketName, cacheDir: join(stateDir(root), "functions"), reporter });
  };
  const invoke = async (target: InvokeTarget, event: unknown) => {
    runner ??= start();
    return (await runner).invoke(target, event);
  };
  return {
    invoke,
    handlers: {
      audit:
        ({ target }) =>
        async (event) =>
          (await invoke(target, event)) as DynamoDBBatchResponse,
      archive:
        ({ target }) =>
        (event) =>
          invoke(target, event),
      claims:
        ({ target }) =>
        async (batch) =>
          (await invoke(target, batch)) as Awaited<ReturnType<ReturnType<LocalHandlers["claims"]>>>,
    },
    close: async () => {
      if (runner) await (await runner.catch(() => undefined))?.close();
    },
  };
}

/**
 * The handlers `trace local streams` and the demo feed: against an emulator, the deployed aliases
 * (what AWS would run); against AWS itself (no endpoint), the handlers built into this CLI, since a
 * function's role cannot be assumed from outside Lambda there.
 */
export async function streamHandlers(
  clients: AwsClients,
  env: Pick<EnvironmentConfig, "stage">,
  root: string,
  reporter: Reporter,
): Promise<Pick<DeployedHandlers, "handlers" | "close">> {
  if (clients.settings.endpointUrl) return deployedHandlers(clients, env, root, reporter);
  const { localHandlers } = await import("./local-handlers");
  return { handlers: localHandlers(clients, reporter), close: async () => {} };
}
