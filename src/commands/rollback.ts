import type { Command } from "commander";
import { action } from "../ui/context";
import { renderRollback } from "../ui/deploy-render";
import { type TemplatesOption, templatesOption } from "./deploy";

interface RollbackOptions extends TemplatesOption {
  to?: string;
}

export function registerRollback(program: Command): void {
  program
    .command("rollback")
    .description("move a function's alias back to the version before it (no deploy)")
    .argument("<function>", "export, export_native, audit_producer or archiver (the name without the prefix; the full name works too)")
    .option("--to <version>", "the version to move the alias to (default: the newest one before the alias's)")
    .addOption(templatesOption())
    .addHelpText(
      "after",
      `
Every deploy that changes a function's code or configuration publishes a version and moves its
alias (learn for audit_producer, live for the others) to it; every event source invokes the alias.
Rollback moves the alias back and says which versions; the stream, schedule, rule or state machine
uses the older version at its next invocation. A later deploy of the same code keeps the rollback;
a deploy of new code moves the alias on. \`trace status\` shows each alias's version.
Examples:
  trace rollback audit_producer             the version before the one learn names
  trace rollback archiver --to 3 --yes      a chosen version, unattended
  trace rollback audit_producer --json      the result as JSON`,
    )
    .action(
      action<RollbackOptions, [string]>(async (ctx, options, name) => {
        const { rollback } = await import("../core/deploy/rollback");
        const { templatesDir } = await import("../core/deploy/templates");
        const clients = await ctx.clients();
        await clients.loadLambda(); // the aliases
        const result = await rollback({
          lambda: clients.lambda,
          env: ctx.environment(),
          templatesDir: templatesDir(options.templates ?? ctx.settings.templatesDir),
          name,
          ...(options.to ? { to: options.to } : {}),
          reporter: ctx.reporter,
          signal: ctx.signal,
        });
        ctx.output.result(result, renderRollback);
      }),
    );
}
