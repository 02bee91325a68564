// Errors that name the problem, driven through the built CLI as a new user meets them: no config,
// a directory for --config, a config with several mistakes, an unknown profile, a malformed region
// or endpoint, --local with --env, empty flag values. No AWS call is made by any of them.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";

const emptyDir = () => mkdtempSync(join(tmpdir(), "trace-first-hour-"));

function awsFiles(): { AWS_CONFIG_FILE: string; AWS_SHARED_CREDENTIALS_FILE: string } {
  const dir = emptyDir();
  writeFileSync(join(dir, "config"), "[default]\nregion = eu-west-1\n\n[profile ops]\nregion = eu-west-1\n");
  writeFileSync(join(dir, "credentials"), "[ci]\naws_access_key_id = x\naws_secret_access_key = y\n");
  return { AWS_CONFIG_FILE: join(dir, "config"), AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials") };
}

// Each case starts the CLI (up to three times): on a loaded 2-core machine that passes the unit default of 5 s.
describe("errors that name the problem", { timeout: 30_000 }, () => {
  it("no config file and no region: says there is no config file, and how to make one", async () => {
    const run = await runCli(["status"], { cwd: emptyDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no config file (trace.config.yaml, .yml or .json in this directory, or --config / TRACE_CONFIG)");
    expect(run.stderr).toContain("copy trace.config.example.yaml to trace.config.yaml");
  });

  it("--config <directory>: names the directory, not EISDIR", async () => {
    const dir = emptyDir();
    const run = await runCli(["--config", dir, "status"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`config file ${dir} is a directory`);
    expect(run.stderr).not.toContain("EISDIR");
  });

  it("a config with three mistakes shows all three, in words (no validator text)", async () => {
    const dir = emptyDir();
    writeFileSync(
      join(dir, "trace.config.yaml"),
      "environments:\n  dev:\n    stage: dev\n    region: eu-west-1\n    exportHour: 24\n    logRetentionDays: 2\n    colour: blue\n",
    );
    const run = await runCli(["config"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("3 problems:");
    expect(run.stderr).toContain("environments.dev.exportHour: expected a number at most 23, found number 24");
    expect(run.stderr).toMatch(/environments\.dev\.logRetentionDays: expected one of 1, 3, 5, 7, 14, .*found number 2/);
    expect(run.stderr).toContain('environments.dev: unknown key "colour"');
    expect(run.stderr).not.toMatch(/Too big|Too small|Invalid input/);
    expect(run.stderr).not.toContain("--verbose");
  });

  it("an unknown profile is named, with the files read and the profiles known", async () => {
    const files = awsFiles();
    const run = await runCli(["--region", "eu-west-1", "--profile", "nope", "status"], { env: files });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`AWS profile "nope" is not defined in ${files.AWS_CONFIG_FILE} or ${files.AWS_SHARED_CREDENTIALS_FILE}`);
    expect(run.stderr).toContain("known profiles: default, ops, ci");
    expect(run.stderr).not.toContain("credentials are missing");
  });

  it("a malformed region or endpoint is refused before any call (exit 2), naming where it came from", async () => {
    const flag = await runCli(["--region", "EU", "status"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--region "EU" is not an AWS region name');
    const variable = await runCli(["status"], { env: { AWS_REGION: "europe" } });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain('AWS_REGION "europe" is not an AWS region name');
    const endpoint = await runCli(["--region", "eu-west-1", "--endpoint-url", "notaurl", "status"]);
    expect(endpoint.code).toBe(2);
    expect(endpoint.stderr).toContain('--endpoint-url "notaurl" is not an http(s) URL');
    expect(endpoint.stderr).not.toContain("Invalid URL");
  });

  it("--local with --env is refused, not one of them silently ignored", async () => {
    const run = await runCli(["--local", "--env", "dev", "status"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--local and --env dev name two environments");
  });

  it.each([
    [["export", "--out", ""], "--out"],
    [["export", "--date="], "--date"],
    [["export", "--kms-key", ""], "--kms-key"],
    [["archive", "restore", "--table", "T", "--key", ""], "--key"],
    [["audit", "show", "K", "--since", ""], "--since"],
    [["--env", "", "status"], "--env"],
    [["deploy", "--allow-replacement", ""], "--allow-replacement"],
  ])("an empty value is exit 2 for every command: %j", async (args, flag) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${flag} was given an empty value`);
  });
});
