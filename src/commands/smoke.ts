import type { Command } from "commander";
import { usageError } from "../core/errors";
import type { SmokeResult } from "../core/smoke/smoke";
import { action, type CommandContext } from "../ui/context";
import { renderSmoke } from "../ui/smoke-render";

interface SmokeOptions {
  timeout: string;
}

/** The seconds of `--timeout`, checked. */
export function smokeTimeoutMs(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 900)
    throw usageError(`--timeout ${text} is not a number of seconds from 1 to 900`, "e.g. --timeout 120");
  return seconds * 1000;
}

/** Runs the smoke test against the context's environment (shared with `deploy --smoke`). */
export async function runSmokeCommand(ctx: CommandContext, timeoutMs: number): Promise<SmokeResult> {
  const { runSmoke } = await import("../core/smoke/smoke");
  const { templatesDir } = await import("../core/deploy/templates");
  const { packageRoot } = await import("../core/package-root");
  const clients = await ctx.clients();
  await clients.loadMore(); // Lambda, SQS, Scheduler (and STS on the emulator)
  const env = ctx.environment();
  const driver = clients.settings.endpointUrl
    ? (await import("../local/smoke-driver")).localSmokeDriver(clients, env, packageRoot(), ctx.reporter, ctx.signal)
    : (await import("../core/smoke/aws-driver")).awsDriver(clients.lambda, ctx.signal);
  const progress = ctx.reporter.progress("smoke: writing the canaries");
  try {
    const result = await runSmoke({
      env,
      clients,
      driver,
      templatesDir: templatesDir(ctx.settings.templatesDir),
      reporter: ctx.reporter,
      signal: ctx.signal,
      timeoutMs,
      ...(driver.emulator ? { pollMs: 200 } : {}),
      onHop: (hop) => progress.update(`smoke: ${hop.hop} ${hop.verdict} (${(hop.ms / 1000).toFixed(1)} s)`),
    });
    progress.stop();
    return result;
  } catch (error) {
    progress.fail("smoke: stopped");
    throw error;
  } finally {
    await driver.close();
  }
}

export function registerSmoke(program: Command): void {
  program
    .command("smoke")
    .description("prove every hop of the deployed wiring on the account with canaries, then remove them")
    .option("--timeout <seconds>", "how long each hop may wait for the wiring", "120")
    .addHelpText(
      "after",
      `
Writes a canary Configuration key and a TRAZABILIDAD record of the reserved day 2000-01-01, then checks,
one line each with its time: the change reaches Audit (stream → audit_producer:learn); the export
function (trazabilidad_export:live) exports the reserved day with its own role and key, never a real
day; each archived table's deletion reaches the archive (stream → Pipe → bus → rule → archiver:live
→ S3) and restores; the schedule exists, is enabled and invokes the export's alias at the export
hour. A failed hop says where to look (log group, queue and its depth). Then every canary, audit
entry, archived version and export object it made is deleted and looked for again. Exit 1 when a
hop failed. On the emulator (--local), local streams stand in for the Pipe, the mapping and the rule,
and the schedule is skipped (its CloudFormation does not create one). One smoke at a time.
Examples:
  trace smoke                         after a deploy, on the account
  trace --local smoke --timeout 20    on the emulator
  trace deploy --yes --smoke          deploy, then the smoke test`,
    )
    .action(
      action<SmokeOptions>(async (ctx, options) => {
        const result = await runSmokeCommand(ctx, smokeTimeoutMs(options.timeout));
        ctx.output.result(result, renderSmoke);
        return result.passed ? 0 : 1;
      }),
    );
}
