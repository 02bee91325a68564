// Runs the built CLI on a pseudo-terminal (test/support/pty-run.py, Python's standard library), so
// prompts appear as they do for a person: for the tests of what trace asks before it writes. No
// real terminal is needed (CI has none).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "./paths";

export interface PtyStep {
  /** A regular expression the screen (ANSI escapes removed) must show before `send` is typed. */
  expect: string;
  send: string;
}

export interface PtyResult {
  code: number;
  /** Everything written to the terminal (stdout and stderr together, as a terminal shows them). */
  output: string;
  timedOut: boolean;
  /** How many steps were answered. */
  stepsDone: number;
}

/** The Enter key. */
export const ENTER = "\r";

export function runCliOnPty(args: readonly string[], steps: readonly PtyStep[], env: NodeJS.ProcessEnv = {}): Promise<PtyResult> {
  const childEnv = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key.startsWith("AWS_") || key.startsWith("TRACE_")) delete childEnv[key];
  // A person at a terminal: no CI variable (it turns prompts off), a terminal type.
  delete childEnv.CI;
  delete childEnv.FORCE_COLOR;
  Object.assign(childEnv, { TERM: "xterm-256color", NO_COLOR: "1", AWS_EC2_METADATA_DISABLED: "true" }, env);
  return new Promise((resolve, reject) => {
    const child = spawn(
      "python3",
      [
        join(projectRoot, "test", "support", "pty-run.py"),
        JSON.stringify(steps),
        process.execPath,
        join(projectRoot, "bin", "trace"),
        ...args,
      ],
      { cwd: projectRoot, env: childEnv, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`pty-run.py exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as PtyResult);
    });
  });
}
