// What every command action receives: resolved environment, clients, reporter, output and
// the interruption signal. Built from the global options, the same on every command.
import { setMaxListeners } from "node:events";
import type { Command } from "commander";
import type { AwsClients } from "../core/aws/clients";
import { type LoadedConfig, loadConfig, type ResolvedEnvironment, resolveEnvironment } from "../core/config";
import { packageRoot } from "../core/package-root";
import { readSettings, type Settings } from "../core/settings";
import { readState } from "../local/state";
import { createOutput, type Output } from "./output";
import { detectTerminal, TerminalReporter } from "./terminal-reporter";

export interface GlobalOptions {
  env?: string;
  local?: boolean;
  config?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  json?: boolean;
  verbose?: boolean;
  yes?: boolean;
  color?: boolean;
}

export interface CommandContext {
  readonly globals: GlobalOptions;
  readonly reporter: TerminalReporter;
  readonly output: Output;
  /** Aborted on Ctrl-C; pass it to every long-running core call. */
  readonly signal: AbortSignal;
  /** Whether prompts can be shown (TTY, not CI, no --yes). */
  readonly interactive: boolean;
  /** The TRACE_* environment variables (src/core/settings.ts). */
  readonly settings: Settings;
  config(): LoadedConfig;
  environment(): ResolvedEnvironment;
  clients(): Promise<AwsClients>;
}

const interruption = new AbortController();
// Every AWS request in flight holds one abort listener on this signal until it settles (the SDK
// removes it then): a backfill querying a month's day partitions at once passes Node's default
// warning threshold of 10 without leaking anything. 256 is above any command's concurrency.
setMaxListeners(256, interruption.signal);
export const interrupt = () => interruption.abort();

let lastContext: CommandContext | undefined;
/** The context of the command being run, for the top-level error handler. */
export const currentContext = () => lastContext;

let lastExitCode: number | undefined;
/** The exit code the command's action returned (an action that returns nothing exits 0); src/cli.ts applies it. */
export const commandExitCode = () => lastExitCode;

export function createContext(command: Command, forced: Partial<GlobalOptions> = {}): CommandContext {
  const globals = { ...(command.optsWithGlobals() as GlobalOptions), ...forced };
  const settings = readSettings();
  const terminal = detectTerminal();
  const reporter = new TerminalReporter({ verbose: Boolean(globals.verbose), yes: Boolean(globals.yes), ...terminal });
  let loaded: LoadedConfig | undefined;
  let environment: ResolvedEnvironment | undefined;
  let clients: AwsClients | undefined;
  const context: CommandContext = {
    globals,
    reporter,
    output: createOutput(Boolean(globals.json)),
    signal: interruption.signal,
    interactive: terminal.interactiveInput && !globals.yes,
    settings,
    config() {
      loaded ??= loadConfig(process.cwd(), globals.config);
      return loaded;
    },
    environment() {
      environment ??= resolveEnvironment(context.config(), {
        env: globals.env,
        local: globals.local,
        region: globals.region,
        profile: globals.profile,
        // `--local` follows the emulator that `trace local start` recorded (it may use another port),
        // unless TRACE_LOCAL_ENDPOINT or TRACE_LOCAL_PORT names one (docs/configuration.md).
        endpointUrl:
          globals.endpointUrl ??
          (globals.local && !settings.localEndpoint && !settings.localPort ? readState(packageRoot())?.endpoint : undefined),
      });
      return environment;
    },
    async clients() {
      if (!clients) {
        // Imported lazily: `trace --help` and config errors never load the AWS SDK.
        const { createAwsClients, EMULATOR_CREDENTIALS } = await import("../core/aws/clients");
        const env = context.environment();
        if (env.profile) (await import("../core/aws/profiles")).checkProfileExists(env.profile);
        clients = createAwsClients({
          region: env.region,
          profile: env.profile,
          endpointUrl: env.endpointUrl,
          credentials: env.name === "local" ? EMULATOR_CREDENTIALS : undefined,
        });
        reporter.debug(
          `AWS: region ${env.region}${env.profile ? `, profile ${env.profile}` : ""}${env.endpointUrl ? `, endpoint ${env.endpointUrl}` : ""}`,
        );
      }
      return clients;
    },
  };
  lastContext = context;
  return context;
}

/**
 * Wraps a command's action so it receives its context, its options and its arguments; a number it
 * returns is the exit code (src/cli.ts applies it), so no action sets process.exitCode. `forced`
 * fixes global options for commands that only make sense one way (the demo is always --local).
 */
export function action<O, A extends unknown[] = []>(
  run: (context: CommandContext, options: O, ...args: A) => Promise<unknown>,
  forced: Partial<GlobalOptions> = {},
) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const options = received[received.length - 2] as O;
    const args = received.slice(0, -2) as A;
    const code = await run(createContext(command, forced), options, ...args);
    if (typeof code === "number") lastExitCode = code;
  };
}
