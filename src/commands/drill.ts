import type { Command } from "commander";
import type { DrillRawRequest } from "../core/drill/plan";
import { ExitCode } from "../core/errors";
import { action } from "../ui/context";
import { renderDrill } from "../ui/drill-render";

export function registerDrill(program: Command): void {
  program
    .command("drill")
    .description("rehearse a recovery: restore a table to a scratch table, check it against the source, report RPO and RTO")
    .argument("[table]", "TRAZABILIDAD (default), Configuration, Audit, or a physical table name")
    .option("--from <pitr|backup>", "point-in-time recovery (default), or the newest backup")
    .option(
      "--at <time>",
      "--from pitr: restore to this past instant (ISO-8601 with Z or an offset); default: the moment the drill has read the source",
    )
    .option(
      "--dr-region [region]",
      "restore the newest copy in the DR region's vault (alone: the environment's drRegion); implies --from backup",
    )
    .option("--keep", "keep the scratch table (its name is in the report) instead of deleting it")
    .option("--restored <table>", "check a table restored before (by a drill with --keep, the console, AWS Backup) instead of restoring")
    .option("--restore-role <arn>", "the role AWS Backup assumes to restore an advanced recovery point (default: the DR stack's)")
    .option("--timeout <minutes>", "give up waiting for the restore after this long (default 240)")
    .addHelpText(
      "after",
      `
The default drill reads every item of the source (strongly consistent), exports its last exported
day again to a local file, restores point-in-time to the instant that read ended, waits for the
scratch table, compares every item with what was read, exports the day from the restore the same
way and compares the sha256, then deletes the scratch table. A past --at, a backup or a DR copy is
compared with the source as it is now: differences a later write or a TTL expiry accounts for are
listed apart; any other is named and fails the drill (exit 1).
RPO: how old the newest recoverable write was (PITR's latest restorable time, or the newest
backup). RTO: from the accepted restore request to the ACTIVE table. Costs and times: docs/recovery.md.

Examples:
  trace drill                              point-in-time drill of TRAZABILIDAD
  trace drill --from backup --json         the newest backup, report as JSON
  trace drill --dr-region                  the newest copy in the environment's DR region
  trace drill Configuration --at 2026-11-22T18:30:00Z --keep
  trace drill --restored dev-TRAZABILIDAD-drill-20261122183000`,
    )
    .action(
      action<DrillRawRequest, [string | undefined]>(async (ctx, options, table) => {
        const { runDrill } = await import("../core/drill/run");
        const { regionalClients } = await import("../core/aws/regional");
        let regional: ReturnType<typeof regionalClients> | undefined;
        const report = await runDrill(
          {
            // Built once the flags are checked: a usage error never waits for AWS settings.
            clients: () => ctx.clients(),
            env: () => ctx.environment(),
            regionClients: async (region) => {
              regional ??= regionalClients(await ctx.clients());
              return regional.of(region);
            },
            reporter: ctx.reporter,
            signal: ctx.signal,
          },
          { ...options, table },
        ).finally(() => regional?.destroy());
        ctx.output.result(report, renderDrill);
        return report.passed ? ExitCode.ok : ExitCode.failed;
      }),
    );
}
