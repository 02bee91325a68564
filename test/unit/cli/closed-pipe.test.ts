// `trace --help | head -1`: the reader goes away while trace still writes; trace must end quietly
// (exit 0, no EPIPE stack trace on stderr), not crash on the write that fails. The read end is
// closed before trace writes anything, so its first write meets the closed pipe every time.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../support/paths";

function readerGone(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, "bin", "trace"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stderr = "";
    child.stdout.destroy();
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("a closed stdout", () => {
  for (const args of [["--help"], ["export", "--help"], ["completion", "bash"]]) {
    it(`trace ${args.join(" ")} with its reader gone ends quietly with 0`, async () => {
      const result = await readerGone(args);
      expect(result.stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
      expect(result.code).toBe(0);
    });
  }
});
