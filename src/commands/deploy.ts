import { type Command, Option } from "commander";
import { packageRoot } from "../core/package-root";
import { action } from "../ui/context";
import { renderChanges, renderEvent, renderOutputs } from "../ui/deploy-render";

export interface TemplatesOption {
  templates?: string;
}

/** Hidden: another template directory (fixtures, tests); TRACE_TEMPLATES_DIR does the same. */
export const templatesOption = () => new Option("--templates <dir>", "directory with <stack>.yaml templates").hideHelp();

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description("bundle and publish the Lambdas, preview each stack's change set, apply it")
    .argument("[stacks...]", "bootstrap, base, traceability, audit, archive (default: all, in that order)")
    .addOption(templatesOption())
    .addHelpText(
      "after",
      `
Each stack's change set is shown and must be confirmed (on a terminal) or --yes given.
Examples:
  trace deploy                 everything, asking before each stack
  trace deploy audit --yes     one stack, unattended (CI)`,
    )
    .action(
      action<TemplatesOption, [string[]]>(async (ctx, options, stacks) => {
        const { deploy, selectStacks } = await import("../core/deploy/deploy");
        const { templatesDir } = await import("../core/deploy/templates");
        const selected = stacks.length === 0 ? [] : selectStacks(stacks);
        const env = ctx.environment();
        const clients = await ctx.clients();
        const result = await deploy({
          env,
          cloudformation: clients.cloudformation,
          s3: clients.s3,
          stacks: selected,
          templatesDir: templatesDir(options.templates ?? process.env.TRACE_TEMPLATES_DIR),
          root: packageRoot(),
          execute: true,
          reporter: ctx.reporter,
          signal: ctx.signal,
          hooks: {
            changeSet: (preview) => ctx.reporter.info(renderChanges(preview)),
            event: (stackName, event) => ctx.reporter.info(renderEvent(stackName, event)),
          },
        });
        const changed = result.stacks.filter((s) => s.outcome !== "no-changes").length;
        ctx.reporter.info(
          `deployed ${result.environment} (${result.region}): ${changed} stack${changed === 1 ? "" : "s"} changed, ${result.stacks.length - changed} unchanged; ${result.uploaded} artifact${result.uploaded === 1 ? "" : "s"} uploaded`,
        );
        ctx.output.result(result, (r) => renderOutputs(r.stacks));
      }),
    );
}
