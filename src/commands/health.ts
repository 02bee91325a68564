import type { Command } from "commander";
import { ExitCode } from "../core/errors";
import { action } from "../ui/context";
import { renderHealth } from "../ui/health-render";

export function registerHealth(program: Command): void {
  program
    .command("health")
    .description("is every unattended job healthy? the export's last run, queues, consumers, alarms")
    .addHelpText(
      "after",
      `
Checks, read-only: the last scheduled export (its day's manifest, and whether today's run is
late: exportHour + exportLateAfterMinutes in the business time zone), every dead-letter and
failure queue (depth, oldest message, the stream's 24 h), the audit stream mapping and its
iterator age, the archive Pipes, alarms in ALARM, and the native export's last executions.

Exit codes: 0 healthy, 6 unhealthy (each cause on stdout, and in --json "problems"),
other codes when the check itself could not run (README).

Examples:
  trace health                         one screen for the environment
  trace --local health --json | jq .problems
  */15 * * * * trace health --json > /dev/null || notify-ops   (cron)`,
    )
    .action(
      action<Record<string, never>>(async (ctx) => {
        const { createAllAwsClients } = await import("../core/aws/clients");
        const { checkHealth, HEALTH_MAX_ATTEMPTS } = await import("../core/health/health");
        const clients = await createAllAwsClients({ ...(await ctx.clients()).settings, maxAttempts: HEALTH_MAX_ATTEMPTS });
        const report = await checkHealth({ clients, env: ctx.environment(), signal: ctx.signal }).finally(() => clients.destroy());
        ctx.output.result(report, renderHealth);
        return report.healthy ? ExitCode.ok : ExitCode.unhealthy;
      }),
    );
}
