import type { Command } from "commander";
import { ExitCode } from "../core/errors";
import { action } from "../ui/context";
import { parsedMessage, renderLogEvent } from "../ui/logs-render";

interface LogsOptions {
  since: string;
  follow?: boolean;
  filter?: string;
}

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("show a job's or a function's CloudWatch logs (log groups found from the stacks)")
    .argument("<target>", "job (export, audit, archive) or function (export-function, export-native, audit-producer, archiver)")
    .option("--since <when>", "oldest event: 30s, 15m, 1h, 2d or an ISO date-time", "1h")
    .option("-f, --follow", "keep reading new events until Ctrl-C")
    .option("--filter <pattern>", 'CloudWatch Logs filter pattern: ERROR, "day exported", { $.level = "ERROR" }')
    .addHelpText(
      "after",
      `
Powertools' structured lines are shown as time, level, message and their extra keys; metric
(EMF) lines as NAME=value; --json writes each event as one JSON line (message parsed when JSON).

Examples:
  trace logs export --since 1d                 the last day of both export functions
  trace logs audit --filter ERROR --follow     audit_producer's errors as they happen
  trace logs archiver --json | jq .message.message`,
    )
    .action(
      action<LogsOptions, [string]>(async (ctx, options, target) => {
        const { logGroupsFor, parseSince, readLogs } = await import("../core/logs/logs");
        const since = parseSince(options.since);
        const clients = await ctx.clients();
        await clients.loadMore();
        const groups = await logGroupsFor(clients.cloudformation, ctx.environment(), target);
        const total = await readLogs({
          logs: clients.logs,
          groups,
          since,
          filter: options.filter,
          follow: options.follow,
          signal: ctx.signal,
          onEvents: (events) => {
            for (const e of events) {
              if (ctx.output.json) ctx.output.line({ ...e, message: parsedMessage(e.message) ?? e.message });
              else process.stdout.write(`${renderLogEvent(e, groups.length > 1)}\n`);
            }
          },
        });
        if (total === 0 && !options.follow) ctx.reporter.info(`no events in ${groups.join(", ")} since ${new Date(since).toISOString()}`);
        return ExitCode.ok;
      }),
    );
}
