// `trace completion bash` run through bash's own completion machinery: the script is sourced in
// `bash -c`, COMP_WORDS/COMP_CWORD are set as readline would, the completion function is called and
// COMPREPLY printed. Environment names come from the config in the working directory, through the
// built CLI (a `trace` on PATH). zsh and fish are not installed here: their scripts are checked as text.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { projectRoot } from "../../support/paths";

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trace-completion-"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "trace"), `#!/bin/sh\nexec "${process.execPath}" "${join(projectRoot, "bin", "trace")}" "$@"\n`);
  chmodSync(join(dir, "bin", "trace"), 0o755);
  writeFileSync(
    join(dir, "trace.config.yaml"),
    "environments:\n  dev: { stage: dev, region: eu-west-1 }\n  prod: { stage: prod, region: eu-west-1 }\n",
  );
  writeFileSync(join(dir, "other.yaml"), "environments:\n  staging: { stage: staging, region: eu-west-1 }\n");
  const script = await runCli(["completion", "bash"], { cwd: dir });
  expect(script.code, script.stderr).toBe(0);
  writeFileSync(join(dir, "trace.bash"), script.stdout);
});

/** What bash completes for the words typed so far (the last one is the word under the cursor). */
function complete(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const out = execFileSync(
    "bash",
    [
      "-c",
      `source ./trace.bash; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _trace_completions; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    {
      cwd: dir,
      env: { PATH: `${join(dir, "bin")}:${process.env.PATH}`, HOME: dir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      encoding: "utf8",
    },
  );
  return out.split("\n").filter(Boolean);
}

describe("trace completion bash", () => {
  it("is registered for `trace` with bash's complete builtin", () => {
    const out = execFileSync("bash", ["-c", "source ./trace.bash; complete -p trace"], { cwd: dir, encoding: "utf8" });
    expect(out.trim()).toBe("complete -o default -F _trace_completions trace");
  });

  it("completes commands and subcommands", () => {
    expect(complete("trace", "de")).toEqual(["deploy", "destroy"]);
    expect(complete("trace", "f")).toEqual(["forecast"]);
    expect(complete("trace", "archive", "r")).toEqual(["restore", "redrive"]);
    expect(complete("trace", "--env", "dev", "st")).toEqual(["status"]);
  });

  it("completes each command's options, global ones included", () => {
    expect(complete("trace", "diff", "--ex")).toEqual(["--exit-code"]);
    expect(complete("trace", "deploy", "--no-f")).toEqual(["--no-forecast"]);
    expect(complete("trace", "status", "--det")).toEqual(["--detect-drift"]);
    expect(complete("trace", "deploy", "--reg")).toEqual(["--region"]);
    // Hidden options stay hidden.
    expect(complete("trace", "deploy", "--templ")).toEqual([]);
  });

  it("completes environment names from the config file (and --config's file), plus the built-in local", () => {
    expect(complete("trace", "--env", "")).toEqual(["dev", "prod", "local"]);
    expect(complete("trace", "deploy", "-e", "p")).toEqual(["prod"]);
    expect(complete("trace", "--config", "other.yaml", "--env", "")).toEqual(["staging", "local"]);
  });

  it("completes stack names, shells and the logical ids --allow-replacement takes", () => {
    expect(complete("trace", "deploy", "")).toEqual(["bootstrap", "dr", "base", "traceability", "audit", "archive", "drill"]);
    expect(complete("trace", "diff", "--exit-code", "tr")).toEqual(["traceability"]);
    expect(complete("trace", "deploy", "--allow-replacement", "Tr")).toEqual(["TrazabilidadTable"]);
    expect(complete("trace", "completion", "")).toEqual(["bash", "zsh", "fish"]);
    // After an option that takes a value, no stack name is offered for that value.
    expect(complete("trace", "deploy", "--region", "")).toEqual([]);
  });
});

describe("trace completion zsh, fish and errors", () => {
  it("zsh loads the same function through bashcompinit", async () => {
    const { code, stdout } = await runCli(["completion", "zsh"]);
    expect(code).toBe(0);
    expect(stdout.startsWith("#compdef trace\n")).toBe(true);
    expect(stdout).toContain("autoload -U +X bashcompinit && bashcompinit");
    expect(stdout).toContain("complete -o default -F _trace_completions trace");
  });

  it("fish completes commands, per-command options, stacks and environments", async () => {
    const { code, stdout } = await runCli(["completion", "fish"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /complete -c trace -n "__fish_use_subcommand" -a "deploy diff forecast status health logs rollback smoke destroy export index /,
    );
    expect(stdout).toContain('complete -c trace -n "__fish_seen_subcommand_from diff" -l exit-code');
    expect(stdout).toContain(
      'complete -c trace -n "__fish_seen_subcommand_from deploy" -a "bootstrap dr base traceability audit archive drill"',
    );
    expect(stdout).toContain('complete -c trace -l env -r -a "(__trace_environments)"');
  });

  it("an unknown shell is a usage error naming the choices", async () => {
    const { code, stderr } = await runCli(["completion", "powershell"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown shell "powershell"/);
    expect(stderr).toMatch(/bash, zsh, fish/);
  });
});
