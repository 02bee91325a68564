// The smoke test's driver on the emulator: one round of `trace local streams` stands in for the
// Pipe, the event source mapping and the rule (what AWS would deliver by itself), and the function
// runner for Lambda (the version each alias names, with its environment and role).

import type { AwsClients } from "../core/aws/clients";
import type { EnvironmentConfig } from "../core/config";
import { overrideReporter, type Reporter } from "../core/reporter";
import type { SmokeDriver } from "../core/smoke/smoke";
import { deployedHandlers } from "./deployed-handlers";
import { runLocalStreams } from "./streams-run";

export function localSmokeDriver(
  clients: AwsClients,
  env: Pick<EnvironmentConfig, "stage" | "prefix" | "archivedTables" | "dayIndex" | "timeZone" | "retentionDays">,
  root: string,
  reporter: Reporter,
  signal: AbortSignal,
  templatesDir?: string,
): SmokeDriver {
  const deployed = deployedHandlers(clients, env, root, reporter);
  // A delivery round's own lines are local mode's business; its warnings (a record given up on) stay.
  const quiet = overrideReporter(reporter, { info: (message, data) => reporter.debug(message, data) });
  return {
    emulator: true,
    async deliver() {
      await runLocalStreams({
        clients,
        env,
        root,
        handlers: deployed.handlers,
        reporter: quiet,
        signal,
        ...(templatesDir ? { templatesDir } : {}),
      });
    },
    invoke: (target, payload) => deployed.invoke(target, payload),
    close: () => deployed.close(),
  };
}
