import type { Command } from "commander";
import { loadConfig } from "../core/config";
import { usageError } from "../core/errors";
import { completionScript, SHELLS, type Shell } from "../ui/completion";

export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish): commands, options, environments, stacks")
    .argument("<shell>", SHELLS.join(", "))
    .addHelpText(
      "after",
      `
Install (docs/configuration.md, "Shell completion"):
  bash   trace completion bash > ~/.local/share/bash-completion/completions/trace
  zsh    trace completion zsh > "\${fpath[1]}/_trace"
  fish   trace completion fish > ~/.config/fish/completions/trace.fish
Or load it for this session: source <(trace completion bash)
Environment names are read from the config file when you press TAB (--config is honoured).`,
    )
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw usageError(`unknown shell "${shell}"`, `choose one of ${SHELLS.join(", ")}`);
      }
      process.stdout.write(completionScript(program, shell as Shell));
    });

  // Asked by the scripts at completion time; prints nothing (and never fails) on a bad config.
  program
    .command("__complete", { hidden: true })
    .argument("<what>", "environments")
    .action((what: string, _options: unknown, command: Command) => {
      if (what !== "environments") return;
      try {
        // --config is the program's global option, wherever it stands on the line.
        const config = (command.optsWithGlobals() as { config?: string }).config;
        const names = Object.keys(loadConfig(process.cwd(), config).file.environments);
        process.stdout.write(`${[...names, "local"].join("\n")}\n`);
      } catch {
        process.stdout.write("local\n");
      }
    });
}
