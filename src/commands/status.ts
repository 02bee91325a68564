import type { Command } from "commander";
import { ExitCode } from "../core/errors";
import { action } from "../ui/context";
import { renderAliases, renderOutputs, renderStatusWord } from "../ui/deploy-render";
import { renderDrift } from "../ui/gate-render";
import { renderTable } from "../ui/output";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show each stack's state, last update, drift and outputs")
    .option("--detect-drift", "run CloudFormation drift detection on every deployed stack first, and show what drifted")
    .addHelpText(
      "after",
      `
Without --detect-drift, DRIFT is what CloudFormation last recorded (often NOT_CHECKED).
With it, detection runs on every deployed stack (it can take minutes on AWS; progress on
stderr) and each drifted resource is listed with its properties, expected → actual.
Exit 1 when detection could not run on some stack (e.g. the local emulator has none).
The aliases table shows the version each function's alias names (\`trace rollback\` moves it).`,
    )
    .action(
      action<{ detectDrift?: boolean }>(async (ctx, options) => {
        const { environmentStatus, UNKNOWN_STATUS } = await import("../core/deploy/status");
        const { templatesDir } = await import("../core/deploy/templates");
        const clients = await ctx.clients();
        await clients.loadLambda(); // the aliases
        const result = await environmentStatus({
          cloudformation: clients.cloudformation,
          lambda: clients.lambda,
          env: ctx.environment(),
          templatesDir: templatesDir(ctx.settings.templatesDir),
          detectDrift: Boolean(options.detectDrift),
          reporter: ctx.reporter,
          signal: ctx.signal,
          cloudformationIn: (region) => clients.cloudformationIn(region),
        });
        ctx.output.result(result, (r) => {
          const table = renderTable(
            ["STACK", "STATUS", "LAST UPDATE", "DRIFT", "PROTECTED"],
            r.stacks.map((s) => [
              s.stackName,
              renderStatusWord(s.status),
              s.lastUpdated?.replace("T", " ").slice(0, 19) ?? "",
              s.drift ?? (s.status === "NOT_DEPLOYED" ? "" : "unknown"),
              s.terminationProtection ? "yes" : "",
            ]),
          );
          const reasons = r.stacks.filter((s) => s.statusReason).map((s) => `${s.stackName}: ${s.statusReason}`);
          const detected = r.stacks.flatMap((s) => (s.detected ? [s.detected] : []));
          const drift = detected.length > 0 ? renderDrift(detected) : "";
          const outputs = renderOutputs(r.stacks);
          const aliases = r.aliases.some((a) => a.version !== "") ? renderAliases(r.aliases) : "";
          return [table, reasons.join("\n"), drift, aliases, outputs].filter((part) => part !== "").join("\n\n");
        });
        const unread = result.stacks.filter((s) => s.status === UNKNOWN_STATUS);
        if (unread.length > 0) {
          ctx.reporter.warn(`could not read ${unread.map((s) => s.stackName).join(", ")} (status UNKNOWN, the reason is above)`);
          return ExitCode.failed;
        }
        const failed = result.stacks.filter((s) => s.detected?.error);
        if (failed.length > 0) {
          ctx.reporter.warn(`drift detection did not run on ${failed.map((s) => s.stackName).join(", ")}`);
          return ExitCode.failed;
        }
        return ExitCode.ok;
      }),
    );
}
