import type { Command } from "commander";
import { action } from "../ui/context";
import { notImplemented } from "../ui/not-implemented";

export function registerLocal(program: Command): void {
  program
    .command("local")
    .description("run the whole system on the local AWS emulator (start, stop, status, streams)")
    .action(
      action(async () => {
        throw notImplemented("local", 8);
      }),
    );
}
