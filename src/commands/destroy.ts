import type { Command } from "commander";
import { action } from "../ui/context";
import { notImplemented } from "../ui/not-implemented";

export function registerDestroy(program: Command): void {
  program
    .command("destroy")
    .description("delete the stacks in reverse order (data-bearing resources are retained)")
    .action(
      action(async () => {
        throw notImplemented("destroy", 4);
      }),
    );
}
