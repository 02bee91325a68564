import type { Command } from "commander";
import { action } from "../ui/context";
import { renderTable } from "../ui/output";

export function registerConfig(program: Command): void {
  program
    .command("config")
    .description("validate the config file and show the resolved environment")
    .action(
      action(async (ctx) => {
        const env = ctx.environment();
        const known = Object.keys(ctx.config().file.environments);
        ctx.output.result({ environment: env, environments: known, configFile: ctx.config().path ?? null }, (r) => {
          const rows = Object.entries(r.environment)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]);
          return `${renderTable(["setting", "value"], rows)}\n\nenvironments in ${r.configFile ?? "(no config file)"}: ${r.environments.join(", ") || "none"}`;
        });
      }),
    );
}
