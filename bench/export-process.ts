// Measuring a whole process as the operator runs it: wall time from the parent, and the process's
// own peak RSS and CPU as the kernel counts them (read in an `exit` hook that NODE_OPTIONS=--require
// loads into it: VmHWM, the figure /usr/bin/time -v prints as "Maximum resident set size" when
// its own small process forks the program, and process.resourceUsage()'s CPU).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { root } from "./support";

// The peak is VmHWM from /proc/self/status where there is one (Linux): getrusage's ru_maxrss,
// which process.resourceUsage() reads, survives execve, so a child forked from a large parent
// reports the parent's RSS at the fork as its own peak (a bench hosting dynalite, ~370 MB, made
// every export "peak" at ~370 MB); VmHWM belongs to the new program's memory alone.
const HOOK = `process.on("exit", () => {
  const fs = require("node:fs");
  const usage = process.resourceUsage();
  let maxRSS = usage.maxRSS * 1024;
  try {
    const hwm = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    if (hwm) maxRSS = Number(hwm[1]) * 1024;
  } catch {}
  fs.writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify({ maxRSS, cpuMicros: usage.userCPUTime + usage.systemCPUTime }));
});
`;

export interface ProcessFigures {
  ms: number;
  maxRSS: number;
  cpuMicros: number;
  stdout: string;
}

let hookPath: string | undefined;
function hook(): string {
  if (!hookPath) {
    const dir = resolve(root, ".trace", "bench");
    mkdirSync(dir, { recursive: true });
    hookPath = join(dir, "usage-hook.cjs");
    writeFileSync(hookPath, HOOK);
  }
  return hookPath;
}

/** Runs `node <args>` with `env`; fails with its stderr when it exits non-zero. */
export function measureNode(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessFigures> {
  const usageFile = join(root, ".trace", "bench", `usage-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const start = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        NODE_OPTIONS: `--require ${hook()} ${process.env.BENCH_NODE_OPTIONS ?? ""}`.trim(),
        BENCH_USAGE_FILE: usageFile,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("close", (code) => {
      const ms = performance.now() - start;
      if (code !== 0) return fail(new Error(`node ${args.join(" ")} exited ${code}:\n${stderr}`));
      const usage = JSON.parse(readFileSync(usageFile, "utf8")) as { maxRSS: number; cpuMicros: number };
      rmSync(usageFile, { force: true });
      done({ ms, ...usage, stdout });
    });
  });
}

/** Environment for a CLI run against `endpoint` with the emulator's dummy credentials. */
export const awsEnv = (endpoint: string): NodeJS.ProcessEnv => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
});
