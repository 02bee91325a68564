import type { Command } from "commander";
import { action } from "../ui/context";
import { renderOutputs, renderStatusWord } from "../ui/deploy-render";
import { renderTable } from "../ui/output";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show each stack's state, last update, drift and outputs")
    .action(
      action(async (ctx) => {
        const { stackStatus } = await import("../core/deploy/status");
        const clients = await ctx.clients();
        const result = await stackStatus(clients.cloudformation, ctx.environment(), ctx.signal);
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
          const outputs = renderOutputs(r.stacks);
          return [table, reasons.join("\n"), outputs].filter((part) => part !== "").join("\n\n");
        });
      }),
    );
}
