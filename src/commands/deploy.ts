import type { Command } from "commander";
import { action } from "../ui/context";
import { notImplemented } from "../ui/not-implemented";

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description("bundle and publish the Lambdas, preview each stack's change set, apply it")
    .action(
      action(async () => {
        throw notImplemented("deploy", 4);
      }),
    );
}
