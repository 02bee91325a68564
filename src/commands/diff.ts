import type { Command } from "commander";
import { ExitCode } from "../core/errors";
import { packageRoot } from "../core/package-root";
import { action } from "../ui/context";
import { reportBundled } from "../ui/deploy-hooks";
import { renderChanges } from "../ui/deploy-render";
import { allowReplacementOption, type TemplatesOption, templatesOption } from "./deploy";

/** `--exit-code`: changes present (an error is 1, see cli.ts). */
const CHANGES_PRESENT = 2;

interface DiffOptions extends TemplatesOption {
  exitCode?: boolean;
  allowReplacement?: string[];
}

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description("show what a deploy would change in each stack, without applying it")
    .argument("[stacks...]", "bootstrap, dr (with a drRegion), base, traceability, audit, archive (default: all)")
    .option("--exit-code", "exit 0 when nothing would change, 2 when something would, 1 on any error (for CI gates)")
    .addOption(allowReplacementOption())
    .addOption(templatesOption())
    .addHelpText(
      "after",
      `
Exit codes with --exit-code (terraform's -detailed-exitcode convention):
  0  no changes     2  changes present     1  error (usage errors included)
Without it: 0 whether or not something changes, and the usual codes on error.
Replacements and removals of tables, buckets, keys and log groups are marked "blocked"
(a deploy would refuse them) unless --allow-replacement names them.
--json prints the plan: {"schemaVersion":1, "changes":bool, "blocked":bool, "stacks":[{stack,
stackName, action, changes, replacements, parameters, note}]} (docs/deploy.md, "The plan").
Examples:
  trace diff                             tables on stdout
  trace diff --exit-code --json > plan.json; test $? -ne 1`,
    )
    .action(
      action<DiffOptions, [string[]]>(async (ctx, options, stacks) => {
        const { deploy, selectStacks } = await import("../core/deploy/deploy");
        const { templatesDir } = await import("../core/deploy/templates");
        const { toPlan } = await import("../core/deploy/plan");
        const selected = stacks.length === 0 ? [] : selectStacks(stacks);
        const clients = await ctx.clients();
        const result = await deploy({
          env: ctx.environment(),
          cloudformation: clients.cloudformation,
          cloudformationIn: (region) => clients.cloudformationIn(region),
          s3: clients.s3,
          stacks: selected,
          templatesDir: templatesDir(options.templates ?? ctx.settings.templatesDir),
          root: packageRoot(),
          execute: false,
          reporter: ctx.reporter,
          signal: ctx.signal,
          allowReplacement: options.allowReplacement ?? [],
          // The tables are the data of a diff: they go to stdout at the end, not to stderr as they come.
          hooks: { changeSet: () => {}, bundled: reportBundled(ctx.reporter) },
        });
        const plan = toPlan(result);
        ctx.output.result(plan, () =>
          result.stacks
            .map((s) =>
              s.outcome === "no-changes"
                ? `${s.stackName}: no changes`
                : renderChanges({
                    stackName: s.stackName,
                    changeSetType: s.outcome === "would-create" ? "CREATE" : "UPDATE",
                    changes: s.changes,
                    note: s.note,
                  }),
            )
            .join("\n\n"),
        );
        return options.exitCode && plan.changes ? CHANGES_PRESENT : ExitCode.ok;
      }),
    );
}
