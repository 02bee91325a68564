import type { Command } from "commander";
import { action } from "../ui/context";
import { notImplemented } from "../ui/not-implemented";

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description("show what a deploy would change in each stack, without applying it")
    .action(
      action(async () => {
        throw notImplemented("diff", 4);
      }),
    );
}
