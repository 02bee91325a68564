// Runs the built CLI as a user would: a subprocess with flags, no TTY.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "./paths";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Sends SIGINT after this many ms (to test interruption). */
  interruptAfterMs?: number;
  /** Another copy of the package to run (its bin/trace), e.g. one with an edited handler. */
  packageRoot?: string;
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  // Nothing from the developer's own AWS setup may leak into a test.
  for (const key of Object.keys(env)) if (key.startsWith("AWS_") || key.startsWith("TRACE_")) delete env[key];
  delete env.FORCE_COLOR;
  // Never let the SDK probe instance metadata (169.254.169.254) from a test.
  env.AWS_EC2_METADATA_DISABLED = "true";
  return env;
};

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(options.packageRoot ?? projectRoot, "bin", "trace"), ...args], {
      cwd: options.cwd ?? projectRoot,
      env: { ...baseEnv(), ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    if (options.interruptAfterMs !== undefined) setTimeout(() => child.kill("SIGINT"), options.interruptAfterMs);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}
