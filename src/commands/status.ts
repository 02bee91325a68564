import type { Command } from "commander";
import { ExitCode } from "../core/errors";
import { action } from "../ui/context";
import { renderOutputs, renderStatusWord } from "../ui/deploy-render";
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
Exit 1 when detection could not run on some stack (e.g. the local emulator has none).`,
    )
    .action(
      action<{ detectDrift?: boolean }>(async (ctx, options) => {
        const { stackStatus, stackStatusWithDrift } = await import("../core/deploy/status");
        const clients = await ctx.clients();
        const result = options.detectDrift
          ? await stackStatusWithDrift(clients.cloudformation, ctx.environment(), {
              reporter: ctx.reporter,
              signal: ctx.signal,
              cloudformationIn: (region) => clients.cloudformationIn(region),
            })
          : await stackStatus(clients.cloudformation, ctx.environment(), ctx.signal, (region) => clients.cloudformationIn(region));
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
          return [table, reasons.join("\n"), drift, outputs].filter((part) => part !== "").join("\n\n");
        });
        const failed = result.stacks.filter((s) => s.detected?.error);
        if (failed.length > 0) {
          ctx.reporter.warn(`drift detection did not run on ${failed.map((s) => s.stackName).join(", ")}`);
          return ExitCode.failed;
        }
        return ExitCode.ok;
      }),
    );
}
