// One rule for every command: a flag given an empty value (`--out ""`, `--date=`, `--kms-key ""`)
// is a mistake, never a request for the default. Without this, commander hands "" to the command,
// and `if (options.out)` reads it as "not given": `--out ""` uploaded to S3, `--date ""` exported today.
import type { Command } from "commander";
import { usageError } from "../core/errors";

const blank = (value: unknown) => typeof value === "string" && value.trim() === "";

/** Throws a usage error (exit 2) naming the first option of `command` or its parents given an empty value. */
export function refuseEmptyValues(command: Command): void {
  for (let current: Command | null = command; current; current = current.parent) {
    for (const option of current.options) {
      const value: unknown = current.getOptionValue(option.attributeName());
      if (!(Array.isArray(value) ? value.some(blank) : blank(value))) continue;
      const flag = option.long ?? option.short ?? option.attributeName();
      throw usageError(`${flag} was given an empty value`, `pass a value to ${flag}, or leave ${flag} out to use its default`);
    }
  }
  const empty = command.registeredArguments.findIndex((argument, i) => {
    const value: unknown = command.processedArgs[i];
    return Array.isArray(value) ? value.some(blank) : blank(value) && argument.required;
  });
  if (empty >= 0) {
    const name = command.registeredArguments[empty]?.name() ?? "argument";
    const path: string[] = [];
    for (let c: Command | null = command; c?.parent; c = c.parent) path.unshift(c.name());
    throw usageError(`<${name}> was given an empty value`, `pass a value for <${name}>; see \`trace ${path.join(" ")} --help\``);
  }
}
