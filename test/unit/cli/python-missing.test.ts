import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";

describe("without Python 3", () => {
  it("trace local start says what to install, exit 2, and starts nothing", async () => {
    const state = mkdtempSync(join(tmpdir(), "trace-nopython-"));
    const result = await runCli(["local", "start"], {
      env: { PYTHON: "/nonexistent/python3", TRACE_VENV: join(state, "venv"), TRACE_STATE_DIR: state },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: Python 3.9+ is needed for the local AWS emulator");
    expect(result.stderr).not.toContain("error: error:");
    expect(result.stderr).toContain("apt-get install python3 python3-venv");
    expect(result.stdout).toBe("");
  });
});
