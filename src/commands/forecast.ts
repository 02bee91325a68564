import type { Command } from "commander";
import { ExitCode } from "../core/errors";
import { action } from "../ui/context";
import { renderForecast } from "../ui/gate-render";
import { type TemplatesOption, templatesOption } from "./deploy";

export function registerForecast(program: Command): void {
  program
    .command("forecast")
    .description("read-only checks for what would make a deploy fail on AWS (also the first step of deploy)")
    .argument("[stacks...]", "bootstrap, dr (with a drRegion), base, traceability, audit, archive (default: all)")
    .addOption(templatesOption())
    .addHelpText(
      "after",
      `
Checks, each with a verdict (pass, warn, fail, skip) and, when it does not pass, the fix:
  existing-name           a table or bucket the templates name already exists outside its stack
  point-in-time-recovery  PITR is off on an archived table (warn)
  lambda-concurrency      the account cannot reserve the concurrency the export and stamper functions need
  artifact-bucket         the bootstrap bucket is missing or in another region
  kms-key                 the data key is pending deletion or disabled
  log-group               a function's log group already exists by name
  permissions-boundary    the configured boundary policy does not exist
Nothing is created or changed. Exit 0 when no check fails, 4 when one does.`,
    )
    .action(
      action<TemplatesOption, [string[]]>(async (ctx, options, stacks) => {
        const { createAllAwsClients } = await import("../core/aws/clients");
        const { FORECAST_MAX_ATTEMPTS, forecast } = await import("../core/deploy/forecast");
        const { selectStacks } = await import("../core/deploy/deploy");
        const { templatesDir } = await import("../core/deploy/templates");
        const selected = stacks.length === 0 ? [] : selectStacks(stacks);
        const clients = await createAllAwsClients({ ...(await ctx.clients()).settings, maxAttempts: FORECAST_MAX_ATTEMPTS });
        const progress = ctx.reporter.progress("forecast: checking what could make the deploy fail");
        const result = await forecast({
          env: ctx.environment(),
          clients,
          stacks: selected,
          templatesDir: templatesDir(options.templates ?? ctx.settings.templatesDir),
          signal: ctx.signal,
        }).finally(() => {
          progress.stop();
          clients.destroy();
        });
        ctx.output.result(result, renderForecast);
        if (result.failed > 0) {
          ctx.reporter.warn(
            `${result.failed} forecast check${result.failed === 1 ? "" : "s"} fail; a deploy would stop before changing anything`,
          );
          return ExitCode.conflict;
        }
        return ExitCode.ok;
      }),
    );
}
