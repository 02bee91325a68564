import { type Command, Option } from "commander";
import type { AwsClients } from "../core/aws/clients";
import { LOCAL_ENV_NAME } from "../core/config";
import type { StackResult } from "../core/deploy/deploy-types";
import { ExitCode } from "../core/errors";
import { packageRoot } from "../core/package-root";
import { action } from "../ui/context";
import { deployHooks } from "../ui/deploy-hooks";
import { renderAliasChanges, renderOutputs } from "../ui/deploy-render";
import { renderSmoke } from "../ui/smoke-render";
import { runSmokeCommand, smokeTimeoutMs } from "./smoke";

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
  smoke?: boolean;
  smokeTimeout: string;
}

const DEPLOY_HELP = `
First the forecast (see \`trace forecast\`): a failing check stops the deploy (exit 4).
Each stack's change set is shown and must be confirmed (on a terminal) or --yes given.
A change that would replace or remove a table, bucket, KMS key or log group is refused
(exit 4) naming the resource and the property that causes it, unless --allow-replacement
names exactly that resource. Stacks holding data get a stack policy that denies
Update:Replace and Update:Delete on their tables, buckets and key; \`protected: true\`
turns termination protection on.
With --json, stdout is NDJSON: one {"type":"event",...} object per stack event as it
happens, then one {"type":"summary",...} line (docs/deploy.md), and with --smoke one
{"type":"smoke",...} line; a failed hop exits 1.
Examples:
  trace deploy                 everything, asking before each stack
  trace deploy audit --yes     one stack, unattended (CI)
  trace deploy --yes --json | jq -c 'select(.type == "event")'`;

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description("bundle and publish the Lambdas, preview each stack's change set, apply it")
    .argument(
      "[stacks...]",
      "bootstrap, dr (in drRegion, when set), base, traceability, audit, archive, drill (default: all, in that order)",
    )
    .addOption(allowReplacementOption())
    .option("--no-forecast", "skip the read-only checks run before anything is changed (`trace forecast`)")
    .option("--smoke", "after the deploy, run `trace smoke` (every hop proven with canaries, then removed)")
    .option("--smoke-timeout <seconds>", "with --smoke: how long each hop may wait", "120")
    .addOption(templatesOption())
    .addHelpText("after", DEPLOY_HELP)
    .action(
      action<DeployOptions, [string[]]>(async (ctx, options, stacks) => {
        const { deploy, selectStacks } = await import("../core/deploy/deploy");
        const { templatesDir } = await import("../core/deploy/templates");
        const selected = stacks.length === 0 ? [] : selectStacks(stacks);
        const { createAllAwsClients } = await import("../core/aws/clients");
        const { FORECAST_MAX_ATTEMPTS } = await import("../core/deploy/forecast");
        const env = ctx.environment();
        const clients = await ctx.clients();
        await clients.loadMore(); // Lambda: the aliases after each stack
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
          lambda: clients.lambda,
          dynamodb: clients.dynamodb,
          accountId: once(() => callerAccount(clients)),
          hooks: deployHooks(ctx),
        }).finally(() => forecastClients?.destroy());
        if (env.name === LOCAL_ENV_NAME)
          await fillEmulatorGaps(clients, templatesDir(options.templates ?? ctx.settings.templatesDir), result);
        for (const line of renderAliasChanges(result.aliases)) ctx.reporter.info(line);
        const changed = result.stacks.filter((s) => s.outcome !== "no-changes").length;
        ctx.reporter.info(
          `deployed ${result.environment} (${result.region}): ${changed} stack${changed === 1 ? "" : "s"} changed, ${result.stacks.length - changed} unchanged; ${result.uploaded} artifact${result.uploaded === 1 ? "" : "s"} uploaded`,
        );
        if (json) ctx.output.line({ type: "summary", ...result });
        else ctx.output.result(result, (r) => renderOutputs(r.stacks));
        if (!options.smoke) return ExitCode.ok;
        const smoke = await runSmokeCommand(ctx, smokeTimeoutMs(options.smokeTimeout));
        if (json) ctx.output.line({ type: "smoke", ...smoke });
        else ctx.output.result(smoke, renderSmoke);
        return smoke.passed ? ExitCode.ok : ExitCode.failed;
      }),
    );
}

async function callerAccount(clients: AwsClients): Promise<string | undefined> {
  const { GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
  return (await clients.sts.send(new GetCallerIdentityCommand({}))).Account;
}

/** A function that runs at most once, its promise shared. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

/** The emulator ignores some template settings (PITR): put them in place the way AWS would have. */
async function fillEmulatorGaps(
  clients: Pick<AwsClients, "cloudformation" | "dynamodb">,
  dir: string,
  result: { stacks: readonly Pick<StackResult, "stack" | "stackName">[] },
): Promise<void> {
  const { applyIgnoredTableSettings } = await import("../local/template-gaps");
  await applyIgnoredTableSettings(clients, dir, result.stacks);
}
