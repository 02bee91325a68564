import { type Command, Option } from "commander";
import { packageRoot } from "../core/package-root";
import { action } from "../ui/context";
import { deployHooks } from "../ui/deploy-hooks";
import { renderOutputs } from "../ui/deploy-render";

export interface TemplatesOption {
  templates?: string;
}

/** Hidden: another template directory (fixtures, tests); TRACE_TEMPLATES_DIR does the same. */
export const templatesOption = () => new Option("--templates <dir>", "directory with <stack>.yaml templates").hideHelp();

/** Repeatable `--allow-replacement <logicalId>`: one resource each. */
export const allowReplacementOption = () =>
  new Option(
    "--allow-replacement <logicalId>",
    "let this one resource (table, bucket, key, log group) be replaced or removed; repeat for several",
  ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);

interface DeployOptions extends TemplatesOption {
  allowReplacement?: string[];
  forecast: boolean;
}

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description("bundle and publish the Lambdas, preview each stack's change set, apply it")
    .argument("[stacks...]", "bootstrap, dr (in drRegion, when set), base, traceability, audit, archive (default: all, in that order)")
    .addOption(allowReplacementOption())
    .option("--no-forecast", "skip the read-only checks run before anything is changed (`trace forecast`)")
    .addOption(templatesOption())
    .addHelpText(
      "after",
      `
First the forecast (see \`trace forecast\`): a failing check stops the deploy (exit 4).
Each stack's change set is shown and must be confirmed (on a terminal) or --yes given.
A change that would replace or remove a table, bucket, KMS key or log group is refused
(exit 4) naming the resource and the property that causes it, unless --allow-replacement
names exactly that resource. Stacks holding data get a stack policy that denies
Update:Replace and Update:Delete on their tables, buckets and key; \`protected: true\`
turns termination protection on.
With --json, stdout is NDJSON: one {"type":"event",...} object per stack event as it
happens, then one {"type":"summary",...} line (docs/deploy.md).
Examples:
  trace deploy                 everything, asking before each stack
  trace deploy audit --yes     one stack, unattended (CI)
  trace deploy --yes --json | jq -c 'select(.type == "event")'`,
    )
    .action(
      action<DeployOptions, [string[]]>(async (ctx, options, stacks) => {
        const { deploy, selectStacks } = await import("../core/deploy/deploy");
        const { templatesDir } = await import("../core/deploy/templates");
        const selected = stacks.length === 0 ? [] : selectStacks(stacks);
        const { createAllAwsClients } = await import("../core/aws/clients");
        const { FORECAST_MAX_ATTEMPTS } = await import("../core/deploy/forecast");
        const env = ctx.environment();
        const clients = await ctx.clients();
        const forecastClients = options.forecast
          ? await createAllAwsClients({ ...clients.settings, maxAttempts: FORECAST_MAX_ATTEMPTS })
          : undefined;
        const json = ctx.output.json;
        const result = await deploy({
          env,
          cloudformation: clients.cloudformation,
          cloudformationIn: (region) => clients.cloudformationIn(region),
          s3: clients.s3,
          stacks: selected,
          templatesDir: templatesDir(options.templates ?? ctx.settings.templatesDir),
          root: packageRoot(),
          execute: true,
          reporter: ctx.reporter,
          signal: ctx.signal,
          allowReplacement: options.allowReplacement ?? [],
          forecast: forecastClients,
          hooks: deployHooks(ctx),
        }).finally(() => forecastClients?.destroy());
        const changed = result.stacks.filter((s) => s.outcome !== "no-changes").length;
        ctx.reporter.info(
          `deployed ${result.environment} (${result.region}): ${changed} stack${changed === 1 ? "" : "s"} changed, ${result.stacks.length - changed} unchanged; ${result.uploaded} artifact${result.uploaded === 1 ? "" : "s"} uploaded`,
        );
        if (json) ctx.output.line({ type: "summary", ...result });
        else ctx.output.result(result, (r) => renderOutputs(r.stacks));
      }),
    );
}
