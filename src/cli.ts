// The CLI: global options, command registration and the single top-level error handler.
import chalk from "chalk";
import { Command, CommanderError, Option } from "commander";
import { registerArchive } from "./commands/archive";
import { registerAudit } from "./commands/audit";
import { registerCompletion } from "./commands/completion";
import { registerConfig } from "./commands/config";
import { registerIndex } from "./commands/day-index";
import { registerDeploy } from "./commands/deploy";
import { registerDestroy } from "./commands/destroy";
import { registerDiff } from "./commands/diff";
import { registerDrill } from "./commands/drill";
import { registerExport } from "./commands/export";
import { registerForecast } from "./commands/forecast";
import { registerHealth } from "./commands/health";
import { registerLocal } from "./commands/local";
import { registerLogs } from "./commands/logs";
import { registerRollback } from "./commands/rollback";
import { registerSmoke } from "./commands/smoke";
import { registerStatus } from "./commands/status";
import { ErrorCode, ExitCode, TraceError, toTraceError } from "./core/errors";
import { version } from "./core/version";
import { commandExitCode, currentContext, interrupt } from "./ui/context";
import { refuseEmptyValues } from "./ui/option-values";

export function buildProgram(): Command {
  const program = new Command("trace")
    .description("Operate the traceability export, configuration audit and deleted-item archive jobs on AWS.")
    // Only -V is global, so `archive restore --version <id>` stays free; main() maps a leading
    // `trace --version` to it.
    .version(version, "-V", "output the version number (also: trace --version)")
    .option("-e, --env <name>", "environment from the config file (or TRACE_ENV)")
    .option("--local", "use the built-in local environment: the emulator started by `trace local start`")
    .option("-c, --config <file>", "config file (default: ./trace.config.yaml|yml|json, or TRACE_CONFIG)")
    .option("--region <region>", "AWS region (overrides AWS_REGION and the config file)")
    .option("--profile <name>", "AWS named profile (overrides AWS_PROFILE and the config file)")
    .option("--endpoint-url <url>", "AWS endpoint, e.g. an emulator (overrides AWS_ENDPOINT_URL)")
    .option("--json", "machine-readable JSON on stdout (and nothing else on stdout)")
    .option("-v, --verbose", "stack traces, AWS request ids and timings on stderr")
    .option("-y, --yes", "answer yes to every confirmation (needed when not on a terminal)")
    .addOption(new Option("--no-color", "no colours (NO_COLOR is honoured too)"))
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    .addHelpText(
      "after",
      `
Exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 not found, 4 conflict,
            5 credentials or permissions, 6 unhealthy (trace health), 130 interrupted.
            trace diff --exit-code: 0 no changes, 2 changes present, 1 any error.

Examples:
  trace --local deploy --yes          deploy every stack to the local emulator
  trace export --date 2026-11-22      export one day of TRAZABILIDAD to S3
  trace audit show CACHE_TTL_SEC      history of one configuration key
  trace archive list --table TRAZABILIDAD --since 2026-11-01`,
    );
  program.hook("preAction", (_root, command) => {
    const globals = command.optsWithGlobals() as { color?: boolean };
    if (globals.color === false) chalk.level = 0;
    refuseEmptyValues(command);
  });

  registerDeploy(program);
  registerDiff(program);
  registerForecast(program);
  registerStatus(program);
  registerHealth(program);
  registerLogs(program);
  registerRollback(program);
  registerSmoke(program);
  registerDestroy(program);
  registerExport(program);
  registerIndex(program);
  registerAudit(program);
  registerArchive(program);
  registerDrill(program);
  registerLocal(program);
  registerConfig(program);
  registerCompletion(program);

  // Subcommands inherit exit override so their usage errors reach the single catch below.
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

function reportError(error: unknown, verbose: boolean, json: boolean): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help / version).
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  const traced = toTraceError(error);
  const stderr = process.stderr;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: traced.code, message: traced.message, hint: traced.hint, exitCode: traced.exitCode } })}\n`,
    );
  }
  stderr.write(`${chalk.red("error:")} ${traced.message}\n`);
  if (traced.hint) stderr.write(`${chalk.dim("hint:")} ${traced.hint}\n`);
  if (verbose) {
    if (traced.requestId) stderr.write(`request id: ${traced.requestId}\n`);
    const cause = traced.cause instanceof Error ? traced.cause : traced;
    if (cause.stack) stderr.write(`${chalk.dim(cause.stack)}\n`);
  } else if (traced.requestId !== undefined || traced.cause instanceof Error) {
    // Only where --verbose adds something: a request id, or the underlying error and its stack.
    stderr.write(chalk.dim("(run with --verbose for details)\n"));
  }
  return traced.exitCode;
}

export async function main(argv: readonly string[]): Promise<void> {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") chalk.level = 0;
  // The SDK warns on every run under Node 20 that its 2027 releases need Node 22; README says
  // so once, and an operator's stderr stays readable. Set the variable to "false" to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted > 1) process.exit(ExitCode.interrupted);
    process.stderr.write("\ninterrupting… (press Ctrl-C again to quit at once)\n");
    interrupt();
  };
  process.on("SIGINT", onSigint);
  // A reader that goes away (`trace --help | head`, `trace archive list --json | jq -e …`) is not
  // an error of trace's: stop writing and end quietly, as a shell pipeline expects.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? ExitCode.ok);
  });
  const verbose = argv.includes("--verbose") || argv.includes("-v");
  const json = argv.includes("--json");
  const detailedExitCodes = argv.includes("diff") && argv.includes("--exit-code");
  try {
    const args = argv[2] === "--version" ? [...argv.slice(0, 2), "-V", ...argv.slice(3)] : [...argv];
    await buildProgram().parseAsync(args);
    if (interrupted) process.exitCode = ExitCode.interrupted;
    else if (commandExitCode() !== undefined) process.exitCode = commandExitCode();
  } catch (error) {
    const context = currentContext();
    const code = reportError(
      // An interruption keeps what the command said about it (what finished, how to resume).
      interrupted && !(error instanceof TraceError && error.code === ErrorCode.interrupted)
        ? new TraceError(ErrorCode.interrupted, "interrupted", { cause: error })
        : error,
      context?.globals.verbose ?? verbose,
      context?.globals.json ?? json,
    );
    // `trace diff --exit-code` keeps 2 for "changes present": every error, usage errors included, is 1 (terraform's -detailed-exitcode).
    process.exitCode = detailedExitCodes && code !== ExitCode.ok && code !== ExitCode.interrupted ? ExitCode.failed : code;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
