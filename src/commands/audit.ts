import type { Command } from "commander";
import { action } from "../ui/context";
import { notImplemented } from "../ui/not-implemented";

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("show the change history of Configuration keys from the Audit table")
    .action(
      action(async () => {
        throw notImplemented("audit", 6);
      }),
    );
}
