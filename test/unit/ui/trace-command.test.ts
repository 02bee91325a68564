import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { traceCommand } from "../../../src/ui/trace-command";
import { runCli } from "../../support/cli";

describe("how hints spell the CLI", () => {
  it("`trace` once an executable trace is on PATH (npm link), `npx trace` before", () => {
    const dir = mkdtempSync(join(tmpdir(), "trace-path-"));
    expect(traceCommand(dir)).toBe("npx trace");
    writeFileSync(join(dir, "trace"), "#!/bin/sh\n");
    chmodSync(join(dir, "trace"), 0o755);
    expect(traceCommand(`/nonexistent:${dir}`)).toBe("trace");
  });

  it("`local status` tells a user without trace on PATH a command that runs", async () => {
    const run = await runCli(["local", "status"], {
      env: { TRACE_STATE_DIR: mkdtempSync(join(tmpdir(), "trace-state-")), PATH: "/usr/bin:/bin" },
    });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain("start it with `npx trace local start`");
  });
});
