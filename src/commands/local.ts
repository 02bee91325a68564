import type { Command } from "commander";
import { DEFAULT_LOCAL_PORT } from "../core/config";
import { ExitCode, usageError } from "../core/errors";
import { packageRoot } from "../core/package-root";
import { readSettings } from "../core/settings";
import { action } from "../ui/context";
import { reportBundled } from "../ui/deploy-hooks";
import { renderLocalStreams } from "../ui/local-streams-render";
import { traceCommand } from "../ui/trace-command";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1024 || port > 65535)
    throw usageError(`--port ${value} is not a port number between 1024 and 65535`);
  return port;
}

export function registerLocal(program: Command): void {
  const local = program
    .command("local")
    .description("run the whole system on the local AWS emulator (start, stop, status, streams, demo)")
    .addHelpText(
      "after",
      `
The emulator (moto) runs on 127.0.0.1 only. Every other command reaches it with --local.
Example:
  trace local start && trace --local deploy --yes && trace local streams`,
    );

  registerLocalStart(local);
  registerLocalStop(local);
  registerLocalStatus(local);
  registerLocalStreams(local);
  registerLocalDemo(local);
}

function registerLocalStart(local: Command): void {
  local
    .command("start")
    .description("start the emulator in the background (creates .venv/ on first use)")
    .option("--port <port>", `loopback port (default TRACE_LOCAL_PORT or ${DEFAULT_LOCAL_PORT})`)
    .action(
      action<{ port?: string }>(async (ctx, options) => {
        const { startLocalEmulator } = await import("../local/manage");
        const port = parsePort(options.port ?? ctx.settings.localPort ?? String(DEFAULT_LOCAL_PORT));
        const requested = options.port !== undefined || ctx.settings.localPort !== undefined;
        const result = await startLocalEmulator(packageRoot(), port, ctx.reporter, ctx.signal, requested);
        ctx.output.result(result, (r) =>
          r.alreadyRunning
            ? `emulator already running on ${r.endpoint} (pid ${r.pid}, since ${r.startedAt})`
            : `emulator running on ${r.endpoint} (pid ${r.pid}); log: ${r.logFile}\nnext: ${traceCommand()} --local deploy --yes`,
        );
      }),
    );
}

function registerLocalStop(local: Command): void {
  local
    .command("stop")
    .description("stop the emulator (its data is lost: it keeps everything in memory)")
    .action(
      action(async (ctx) => {
        const { stopLocalEmulator } = await import("../local/manage");
        const stopped = await stopLocalEmulator(packageRoot());
        ctx.output.result({ stopped: stopped !== undefined, ...(stopped ?? {}) }, (r) =>
          r.stopped ? `emulator stopped (pid ${stopped?.pid})` : "no emulator was running",
        );
      }),
    );
}

function registerLocalStatus(local: Command): void {
  local
    .command("status")
    .description("say whether the emulator runs and answers (exit 3 when it does not run)")
    .action(
      action(async (ctx) => {
        const { emulatorStatus } = await import("../local/manage");
        const status = await emulatorStatus(packageRoot());
        ctx.output.result(status, (s) =>
          s.state
            ? `emulator ${s.healthy ? "running" : "NOT ANSWERING"} on ${s.state.endpoint} (pid ${s.state.pid}, since ${s.state.startedAt})`
            : `emulator not running (start it with \`${traceCommand()} local start\`)`,
        );
        if (!status.running) return ExitCode.notFound;
        return status.healthy ? ExitCode.ok : ExitCode.failed;
      }),
    );
}

function registerLocalStreams(local: Command): void {
  local
    .command("streams")
    .description("feed the tables' stream records to the audit and archive handlers (what Lambda and Pipes do when deployed)")
    .option("--follow", "keep polling until Ctrl-C")
    .option("--interval <seconds>", "polling interval with --follow", "2")
    .addHelpText(
      "after",
      `
The emulator runs no Lambda and no EventBridge Pipe. This reads the real stream records of the
deployed Configuration and TRAZABILIDAD tables and hands them to the same handler code that is
deployed, with the delivery settings of the templates (cloudformation/audit.yaml, archive.yaml):
  audit_producer  as its event source mapping: BatchSize, partial batch responses, bisect on error,
                  MaximumRetryAttempts; then the whole batch is kept in the data bucket under
                  aws/lambda/ (the on-failure destination), and the shard moves on.
  archiver        as Pipe → bus → rule: the Pipe's filter, BatchSize and enrichment (archive_claims),
                  PutEvents' 256 KB limit (a failed execution is retried, then its position goes
                  to PipeDeadLetterQueue), the rule's pattern; a failed event is retried as Lambda
                  retries an asynchronous event, then sent as is to ArchiveDeadLetterQueue.
                  \`trace archive redrive\` then recovers what the queues name.
Checkpoints (.trace/local/checkpoints-<stage>.json) make a rerun neither skip nor repeat.
Exit 1 when this run gave up on a record (the table and --json "failures" say which, and where its
failure message went) or a shard stopped at a record to retry. Runs against the local emulator
unless --env (or TRACE_ENV) names another environment.`,
    )
    .action((...received: unknown[]) => {
      // The local environment unless another is named: `trace local streams` works as the help's example says.
      const globals = (received[received.length - 1] as Command).optsWithGlobals();
      const named = globals.env !== undefined || readSettings().env !== undefined;
      return streamsAction(named ? {} : { local: true })(...received);
    });
}

function streamsAction(forced: { local?: boolean }) {
  return action<{ follow?: boolean; interval: string }>(async (ctx, options) => {
    const interval = Number(options.interval);
    if (!Number.isFinite(interval) || interval <= 0) throw usageError(`--interval ${options.interval} is not a positive number of seconds`);
    const { runLocalStreams } = await import("../local/streams-run");
    const { streamHandlers } = await import("../local/deployed-handlers");
    const { templatesDir } = await import("../core/deploy/templates");
    const clients = await ctx.clients();
    const env = ctx.environment();
    // Each function's handler as its alias names it (the version's code, environment and role).
    const { handlers, close } = await streamHandlers(clients, env, packageRoot(), ctx.reporter);
    const result = await runLocalStreams({
      clients,
      env,
      root: packageRoot(),
      reporter: ctx.reporter,
      // The delivery settings come from the templates deploy uses (TRACE_TEMPLATES_DIR too).
      templatesDir: templatesDir(ctx.settings.templatesDir),
      signal: ctx.signal,
      follow: Boolean(options.follow),
      intervalMs: interval * 1000,
      handlers,
    }).finally(close);
    ctx.output.result(result, renderLocalStreams);
    return result.consumers.some((c) => c.failed > 0 || c.discarded > 0) ? ExitCode.failed : ExitCode.ok;
  }, forced);
}

function registerLocalDemo(local: Command): void {
  local
    .command("demo")
    .description("the whole system on the emulator, end to end, in one command (starts it if needed)")
    .option("--records <n>", "traceability records to write for today", "120")
    .option("--port <port>", `emulator port when it must be started (default TRACE_LOCAL_PORT or ${DEFAULT_LOCAL_PORT})`)
    .addHelpText(
      "after",
      `
Starts the emulator, deploys every stack, writes a realistic day of traceability records and a few
configuration changes, feeds the streams to the deployed handlers, exports today's CSV, shows the
audit history of CACHE_TTL_SEC, deletes an item and restores it from the archive, then says where
each result is. Safe to re-run. Stop the emulator (and drop its data) with: trace local stop`,
    )
    .action(
      action<{ records: string; port?: string }>(
        async (ctx, options) => {
          const records = Number(options.records);
          if (!Number.isInteger(records) || records < 1 || records > 100_000) {
            throw usageError(`--records ${options.records} is not a whole number from 1 to 100000`);
          }
          const { startLocalEmulator } = await import("../local/manage");
          const { runDemo } = await import("../local/demo");
          const { templatesDir } = await import("../core/deploy/templates");
          const { streamHandlers } = await import("../local/deployed-handlers");
          const port = parsePort(options.port ?? ctx.settings.localPort ?? String(DEFAULT_LOCAL_PORT));
          await startLocalEmulator(
            packageRoot(),
            port,
            ctx.reporter,
            ctx.signal,
            options.port !== undefined || ctx.settings.localPort !== undefined,
          );
          const clients = await ctx.clients();
          const env = ctx.environment();
          const { handlers, close } = await streamHandlers(clients, env, packageRoot(), ctx.reporter);
          const result = await runDemo({
            clients,
            env,
            root: packageRoot(),
            templatesDir: templatesDir(),
            handlers,
            reporter: ctx.reporter,
            signal: ctx.signal,
            records,
            bundled: reportBundled(ctx.reporter),
          }).finally(close);
          const { renderDemo } = await import("../ui/demo-render");
          ctx.output.result(result, renderDemo);
        },
        { local: true },
      ),
    );
}
