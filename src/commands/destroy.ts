import type { Command } from "commander";
import { LOCAL_ENV_NAME } from "../core/config";
import { action } from "../ui/context";
import { renderEvent } from "../ui/deploy-render";
import { renderTable } from "../ui/output";

export function registerDestroy(program: Command): void {
  program
    .command("destroy")
    .description("delete the stacks in reverse order (data-bearing resources are retained)")
    .argument("[stacks...]", "dr, base, traceability, audit, archive (default: all of them; bootstrap only when named)")
    .addHelpText(
      "after",
      `
You confirm by typing the environment's name (or pass --yes). Tables, the data bucket and the
KMS key are retained by their templates and listed at the end (with --local they are removed
too, with whatever the emulator keeps of a deleted stack, so that a deploy can follow). Protected environments are refused:
set \`protected: false\`, run \`trace deploy\` (lifts termination protection), then destroy.`,
    )
    .action(
      action<object, [string[]]>(async (ctx, _options, stacks) => {
        const { destroy } = await import("../core/deploy/destroy");
        const { selectStacks } = await import("../core/deploy/deploy");
        const selected = stacks.length === 0 ? [] : selectStacks(stacks);
        const clients = await ctx.clients();
        const env = ctx.environment();
        const { removeLeftovers } = env.name === LOCAL_ENV_NAME ? await import("../local/leftovers") : { removeLeftovers: undefined };
        const result = await destroy({
          env,
          cloudformation: clients.cloudformation,
          cloudformationIn: (region) => clients.cloudformationIn(region),
          stacks: selected,
          reporter: ctx.reporter,
          signal: ctx.signal,
          onEvent: (stackName, event) => ctx.reporter.info(renderEvent(stackName, event)),
          ...(removeLeftovers ? { removeLeftovers: (_name, resources) => removeLeftovers(clients, resources, ctx.reporter) } : {}),
        });
        if (result.removed.length > 0)
          ctx.reporter.info(
            `local mode: removed ${result.removed.length} resource(s) the emulator kept after deleting the stacks, the tables, bucket and key included (on AWS those are retained), so a deploy can follow`,
          );
        ctx.output.result(result, (r) =>
          r.retained.length === 0
            ? undefined
            : `Retained (they outlive their stacks):\n${renderTable(
                ["STACK", "LOGICAL ID", "TYPE", "PHYSICAL ID"],
                r.retained.map((x) => [x.stackName, x.logicalId, x.type, x.physicalId]),
              )}`,
        );
      }),
    );
}
