import type { Command } from "commander";
import { action } from "../ui/context";
import { notImplemented } from "../ui/not-implemented";

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("export one day (or a range) of TRAZABILIDAD to CSV in the encrypted bucket")
    .action(
      action(async () => {
        throw notImplemented("export", 5);
      }),
    );
}
