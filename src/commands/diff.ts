import type { Command } from "commander";
import { packageRoot } from "../core/package-root";
import { action } from "../ui/context";
import { renderChanges } from "../ui/deploy-render";
import { type TemplatesOption, templatesOption } from "./deploy";

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description("show what a deploy would change in each stack, without applying it")
    .argument("[stacks...]", "bootstrap, base, traceability, audit, archive (default: all)")
    .addOption(templatesOption())
    .action(
      action<TemplatesOption, [string[]]>(async (ctx, options, stacks) => {
        const { deploy, selectStacks } = await import("../core/deploy/deploy");
        const { templatesDir } = await import("../core/deploy/templates");
        const selected = stacks.length === 0 ? [] : selectStacks(stacks);
        const clients = await ctx.clients();
        const result = await deploy({
          env: ctx.environment(),
          cloudformation: clients.cloudformation,
          s3: clients.s3,
          stacks: selected,
          templatesDir: templatesDir(options.templates ?? process.env.TRACE_TEMPLATES_DIR),
          root: packageRoot(),
          execute: false,
          reporter: ctx.reporter,
          signal: ctx.signal,
          // The tables are the data of a diff: they go to stdout at the end, not to stderr as they come.
          hooks: { changeSet: () => {} },
        });
        ctx.output.result(result, (r) =>
          r.stacks
            .map((s) =>
              s.outcome === "no-changes"
                ? `${s.stackName}: no changes`
                : renderChanges({
                    stackName: s.stackName,
                    changeSetType: s.outcome === "would-create" ? "CREATE" : "UPDATE",
                    changes: s.changes,
                  }),
            )
            .join("\n\n"),
        );
      }),
    );
}
