// Exit codes reach the process only through src/cli.ts: a command's action returns its code (or
// throws a TraceError, which cli.ts maps), so no command sets process.exitCode or exits itself.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../support/paths";

const commands = join(projectRoot, "src", "commands");

describe("exit codes only through the result", () => {
  const files = readdirSync(commands).filter((f) => f.endsWith(".ts"));

  it("finds the command modules", () => expect(files.length).toBeGreaterThan(5));

  it.each(files)("src/commands/%s neither sets process.exitCode nor calls process.exit", (file) => {
    const text = readFileSync(join(commands, file), "utf8");
    expect(text).not.toMatch(/process\.exitCode|process\.exit\(/);
  });
});
