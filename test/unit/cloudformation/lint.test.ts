// cfn-lint and checkov from the project's Python virtualenv (TRACE_VENV or <root>/.venv), as CI
// runs them. Any finding fails the test with the tool's own report.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STACKS } from "../../../src/core/stacks";
import { venvDir } from "../../../src/local/emulator";
import { templatePath } from "../../support/cloudformation";
import { projectRoot } from "../../support/paths";

interface Run {
  code: number | null;
  output: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

const tool = (name: string) => {
  const path = join(venvDir(projectRoot), "bin", name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run setup:emulator\` (or set TRACE_VENV)`);
  return path;
};

describe("template linters", () => {
  it("cfn-lint reports nothing on any template", { timeout: 120_000 }, async () => {
    const { code, output } = await run(tool("cfn-lint"), STACKS.map(templatePath));
    expect(output.trim(), output).toBe("");
    expect(code, output).toBe(0);
  });

  it("checkov reports no failed check on the cloudformation directory", { timeout: 240_000 }, async () => {
    // --skip-download: no call to the vendor's platform (the run is offline and deterministic).
    const { code, output } = await run(tool("checkov"), [
      "-d",
      "cloudformation",
      "--framework",
      "cloudformation",
      "--quiet",
      "--compact",
      "--skip-download",
    ]);
    expect(code, output).toBe(0);
    expect(output, output).toMatch(/Failed checks: 0\b/);
    expect(output, output).toMatch(/Passed checks: [1-9]/);
  });
});
