// Shell completion scripts, generated from the commander tree so they always match the CLI:
// commands and subcommands, each command's options (global ones included), environment names
// (asked of `trace __complete environments` at completion time, so they follow the config file in
// the current directory or --config), stack names and the logical ids --allow-replacement takes.
import type { Command, Option } from "commander";
import { STACKS } from "../core/stacks";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** Logical ids of the resources --allow-replacement can name (tables, buckets, key, log groups). */
export const REPLACEABLE_IDS = [
  "TrazabilidadTable",
  "ConfigurationTable",
  "AuditTable",
  "DataBucket",
  "ArtifactBucket",
  "DataKey",
  "ExportLogGroup",
  "AuditProducerLogGroup",
  "ArchiverLogGroup",
] as const;

interface CommandInfo {
  /** "" for the program, "deploy", "archive list" … */
  path: string;
  subcommands: string[];
  /** Every flag form (long and short), global ones included. */
  flags: string[];
  /** Flags that take a value. */
  valueFlags: string[];
  /** Takes stack names as arguments. */
  stacks: boolean;
}

const visible = (options: readonly Option[]) => options.filter((o) => !(o as Option & { hidden?: boolean }).hidden);
const flagsOf = (o: Option) => [o.long, o.short].filter((f): f is string => Boolean(f));
const takesValue = (o: Option) => o.required || o.optional;

function collect(program: Command): CommandInfo[] {
  const global = visible(program.options);
  const infos: CommandInfo[] = [];
  const walk = (command: Command, path: string, inherited: readonly Option[]) => {
    const own = visible(command.options);
    const all = [...inherited, ...own];
    const subs = command.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden && c.name() !== "help");
    infos.push({
      path,
      subcommands: subs.map((c) => c.name()),
      flags: [...new Set([...all.flatMap(flagsOf), "--help"])],
      valueFlags: [...new Set(all.filter(takesValue).flatMap(flagsOf))],
      stacks: command.registeredArguments.some((a) => a.name() === "stacks"),
    });
    for (const sub of subs) walk(sub, path ? `${path} ${sub.name()}` : sub.name(), path ? all : [...global]);
  };
  walk(program, "", []);
  return infos;
}

const words = (list: readonly string[]) => list.join(" ");

function bash(program: Command): string {
  const infos = collect(program);
  const cases = (pick: (i: CommandInfo) => string) => infos.map((i) => `    "${i.path}") echo "${pick(i)}" ;;`).join("\n");
  return `# trace completion for bash. Load it now:  source <(trace completion bash)
# or install it:  trace completion bash > ~/.local/share/bash-completion/completions/trace
_trace_subcommands() {
  case "$1" in
${cases((i) => words(i.subcommands))}
  esac
}
_trace_flags() {
  case "$1" in
${cases((i) => words(i.flags))}
  esac
}
_trace_value_flags() {
  case "$1" in
${cases((i) => words(i.valueFlags))}
  esac
}
_trace_takes_stacks() {
  case "$1" in
${infos
  .filter((i) => i.stacks)
  .map((i) => `    "${i.path}") return 0 ;;`)
  .join("\n")}
  esac
  return 1
}
_trace_environments() {
  local i config=()
  for (( i=1; i<\${#COMP_WORDS[@]}; i++ )); do
    case "\${COMP_WORDS[i]}" in
      -c|--config) config=(--config "\${COMP_WORDS[i+1]}") ;;
    esac
  done
  "\${COMP_WORDS[0]}" __complete environments "\${config[@]}" 2>/dev/null
}
_trace_completions() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i skip=0
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # The command path so far: non-option words, skipping the values of options that take one.
  for (( i=1; i<COMP_CWORD; i++ )); do
    word="\${COMP_WORDS[i]}"
    if (( skip )); then skip=0; continue; fi
    case "$word" in
      -*) [[ " $(_trace_value_flags "$path") " == *" $word "* ]] && skip=1 ;;
      *) if [[ -z "$path" ]]; then path="$word"
         elif [[ " $(_trace_subcommands "$path") " == *" $word "* ]]; then path="$path $word"
         fi ;;
    esac
  done
  COMPREPLY=()
  case "$prev" in
    -e|--env) COMPREPLY=( $(compgen -W "$(_trace_environments)" -- "$cur") ); return 0 ;;
    -c|--config|--out|--templates) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
    --allow-replacement) COMPREPLY=( $(compgen -W "${words(REPLACEABLE_IDS)}" -- "$cur") ); return 0 ;;
  esac
  if [[ " $(_trace_value_flags "$path") " == *" $prev "* && -n "$prev" ]]; then return 0; fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$(_trace_flags "$path")" -- "$cur") )
  elif [[ -n "$(_trace_subcommands "$path")" ]]; then
    COMPREPLY=( $(compgen -W "$(_trace_subcommands "$path")" -- "$cur") )
  elif [[ "$path" == "completion" ]]; then
    COMPREPLY=( $(compgen -W "${words(SHELLS)}" -- "$cur") )
  elif _trace_takes_stacks "$path"; then
    COMPREPLY=( $(compgen -W "${words(STACKS)}" -- "$cur") )
  fi
  return 0
}
complete -o default -F _trace_completions trace
`;
}

function zsh(program: Command): string {
  return `#compdef trace
# trace completion for zsh (through zsh's bash completion layer). Load it now:
#   source <(trace completion zsh)
# or install it: trace completion zsh > "\${fpath[1]}/_trace"
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(program).replace(/^# trace completion for bash.*\n.*\n/, "")}`;
}

function fish(program: Command): string {
  const infos = collect(program);
  const top = infos.find((i) => i.path === "") as CommandInfo;
  const lines = [
    "# trace completion for fish. Load it now: trace completion fish | source",
    "# or install it: trace completion fish > ~/.config/fish/completions/trace.fish",
    "complete -c trace -f",
    "function __trace_environments",
    "    set -l tokens (commandline -opc)",
    "    set -l config",
    "    set -l i (contains -i -- --config $tokens); and set config --config $tokens[(math $i + 1)]",
    "    trace __complete environments $config 2>/dev/null",
    "end",
    `complete -c trace -n "__fish_use_subcommand" -a "${words(top.subcommands)}"`,
  ];
  for (const info of infos.filter((i) => i.path !== "")) {
    const parts = info.path.split(" ");
    const condition =
      parts.length === 1
        ? `__fish_seen_subcommand_from ${parts[0]}`
        : `__fish_seen_subcommand_from ${parts[0]}; and __fish_seen_subcommand_from ${parts[1]}`;
    if (info.subcommands.length > 0) {
      lines.push(
        `complete -c trace -n "__fish_seen_subcommand_from ${parts[0]}; and not __fish_seen_subcommand_from ${words(info.subcommands)}" -a "${words(info.subcommands)}"`,
      );
    }
    if (info.stacks) lines.push(`complete -c trace -n "${condition}" -a "${words(STACKS)}"`);
    if (info.path === "completion") lines.push(`complete -c trace -n "${condition}" -a "${words(SHELLS)}"`);
    for (const flag of info.flags.filter((f) => f.startsWith("--") && !top.flags.includes(f))) {
      const value = info.valueFlags.includes(flag) ? " -r" : "";
      const values = flag === "--allow-replacement" ? ` -a "${words(REPLACEABLE_IDS)}"` : "";
      lines.push(`complete -c trace -n "${condition}" -l ${flag.slice(2)}${value}${values}`);
    }
  }
  for (const flag of top.flags.filter((f) => f.startsWith("--"))) {
    const value = top.valueFlags.includes(flag) ? " -r" : "";
    const values = flag === "--env" ? ` -a "(__trace_environments)"` : flag === "--config" ? " -F" : "";
    lines.push(`complete -c trace -l ${flag.slice(2)}${value}${values}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The completion script for a shell. */
export function completionScript(program: Command, shell: Shell): string {
  return shell === "bash" ? bash(program) : shell === "zsh" ? zsh(program) : fish(program);
}
