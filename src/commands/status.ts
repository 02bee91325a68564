import type { Command } from "commander";
import { action } from "../ui/context";
import { notImplemented } from "../ui/not-implemented";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show each stack's state, last update, drift and outputs")
    .action(
      action(async () => {
        throw notImplemented("status", 4);
      }),
    );
}
