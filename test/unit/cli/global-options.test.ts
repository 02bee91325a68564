import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { version } from "../../../src/core/version";
import { runCli } from "../../support/cli";

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes
const ANSI = /\u001b\[/;

function dirWithConfig(text: string, name = "trace.config.yaml"): string {
  const dir = mkdtempSync(join(tmpdir(), "trace-cfg-"));
  writeFileSync(join(dir, name), text);
  return dir;
}

// A command that needs AWS, with no way to find credentials (and no instance metadata lookup).
const noCredentials = {
  args: ["audit", "show", "CACHE_TTL_SEC", "--region", "eu-west-1", "--audit-table", "Audit", "--index", "itemKey-modificationTime-index"],
  env: {
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/nonexistent/config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
  },
};

const goodConfig = `
environments:
  dev: { stage: dev, region: eu-west-1, prefix: dev- }
  prod: { stage: prod, region: eu-west-1, prefix: prod-, protected: true }
`;

describe("trace (global behaviour)", () => {
  it("--help lists every product command with its purpose", async () => {
    const { code, stdout } = await runCli(["--help"]);
    expect(code).toBe(0);
    for (const command of ["deploy", "diff", "status", "destroy", "export", "audit", "archive", "local"]) {
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b.*\\w`, "m"));
    }
    expect(stdout).toContain("--endpoint-url");
    expect(stdout).toContain("Exit codes");
  });

  it("prints the package version", async () => {
    const { readFileSync } = await import("node:fs");
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
    expect(version).toBe(pkg.version);
    expect((await runCli(["--version"])).stdout.trim()).toBe(version);
  });

  it("a bad config file exits 2 naming the file and the key", async () => {
    const cwd = dirWithConfig(goodConfig.replace("region: eu-west-1, prefix: prod-", "region: eu-west-1, prefix: prod-, retentionDays: 0"));
    const { code, stderr, stdout } = await runCli(["config", "--env", "prod"], { cwd });
    expect(code).toBe(2);
    expect(stderr).toContain(join(cwd, "trace.config.yaml"));
    expect(stderr).toContain("environments.prod.retentionDays");
    expect(stderr).toMatch(/expected .*found number 0/);
    expect(stdout).toBe("");
    expect(stderr.split("\n").filter(Boolean).length).toBeLessThanOrEqual(3);
  });

  it("an unknown --env exits 2 and lists the known ones", async () => {
    const cwd = dirWithConfig(goodConfig);
    const { code, stderr } = await runCli(["config", "--env", "staging"], { cwd });
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown environment "staging".*known: dev, prod, local \(built-in\)/);
  });

  it("--json prints only parseable JSON on stdout", async () => {
    const cwd = dirWithConfig(goodConfig);
    const { code, stdout } = await runCli(["config", "--env", "prod", "--json"], { cwd });
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout);
    expect(parsed.environment).toMatchObject({ name: "prod", prefix: "prod-", protected: true, exportHour: 19 });
    expect(parsed.environments).toEqual(["dev", "prod"]);
  });

  it("--json failures are still JSON on stdout, with the exit code", async () => {
    const { code, stdout } = await runCli(["config", "--env", "nope", "--json"], { cwd: dirWithConfig(goodConfig) });
    expect(code).toBe(2);
    expect(JSON.parse(stdout).error).toMatchObject({ code: "USAGE", exitCode: 2 });
  });

  it("non-TTY output carries no ANSI escapes, even when colour is forced off by nothing", async () => {
    const cwd = dirWithConfig(goodConfig);
    const results = await Promise.all([
      runCli(["config", "--env", "dev"], { cwd }),
      runCli(["config", "--env", "nope"], { cwd }),
      runCli(noCredentials.args, { cwd, env: noCredentials.env }),
    ]);
    for (const { stdout, stderr } of results) {
      expect(stdout + stderr).not.toMatch(ANSI);
    }
  });

  it("--no-color and NO_COLOR remove colour even when FORCE_COLOR asks for it", async () => {
    const cwd = dirWithConfig(goodConfig);
    const forced = await runCli(["config", "--env", "nope"], { cwd, env: { FORCE_COLOR: "1" } });
    expect(forced.stderr).toMatch(ANSI);
    const noColorFlag = await runCli(["config", "--env", "dev", "--no-color"], { cwd, env: { FORCE_COLOR: "1" } });
    expect(noColorFlag.stdout + noColorFlag.stderr).not.toMatch(ANSI);
    const noColorEnv = await runCli(["config", "--env", "nope"], { cwd, env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    expect(noColorEnv.stderr).not.toMatch(ANSI);
  });

  it("unknown options are usage errors (exit 2)", async () => {
    const { code, stderr } = await runCli(["config", "--frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--frobnicate'");
  });

  it("missing credentials: exit 5 and how to configure them; the stack only with --verbose", async () => {
    const plain = await runCli(noCredentials.args, { env: noCredentials.env });
    expect(plain.code).toBe(5);
    expect(plain.stderr).toMatch(/AWS credentials are missing, invalid or expired/);
    expect(plain.stderr).toMatch(/hint: configure them with `aws configure`/);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const verbose = await runCli([...noCredentials.args, "--verbose"], { env: noCredentials.env });
    expect(verbose.code).toBe(5);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });
});
