import type { Command } from "commander";
import { action } from "../ui/context";
import { notImplemented } from "../ui/not-implemented";

export function registerArchive(program: Command): void {
  program
    .command("archive")
    .description("list, restore or purge archived deleted items")
    .action(
      action(async () => {
        throw notImplemented("archive", 7);
      }),
    );
}
