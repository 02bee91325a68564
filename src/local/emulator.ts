/**
 * Starting and checking the local AWS emulator (moto's server from the project-local virtualenv).
 * Used by `trace local`, the integration-test setup and the benchmarks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { ErrorCode, TraceError } from "../core/errors";
import { readSettings } from "../core/settings";
import { sleep } from "../core/sleep";

export function venvDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return readSettings(env).venv ?? join(root, ".venv");
}

export function motoServerPath(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(venvDir(root, env), "bin", "moto_server");
}

/** A port nobody listens on right now, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** True when an emulator answers at the endpoint (its dashboard page: data.json fails once some resources exist). */
export async function emulatorHealthy(endpoint: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}

export interface RunningEmulator {
  endpoint: string;
  port: number;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface StartEmulatorOptions {
  root: string;
  port?: number;
  /** Where moto's output goes. */
  logFile: string;
  /** Leave it running after this process exits (for `trace local start`). */
  detached?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Starts moto's server on 127.0.0.1 and waits until it answers. */
export async function startEmulator(options: StartEmulatorOptions): Promise<RunningEmulator> {
  const server = motoServerPath(options.root, options.env);
  if (!existsSync(server)) {
    throw new TraceError(ErrorCode.failed, `the local AWS emulator is not installed (${server} is missing)`, {
      hint: "run `npm run setup:emulator` (needs Python 3.9+; Debian/Ubuntu: apt-get install python3 python3-venv)",
    });
  }
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  if (await emulatorHealthy(endpoint, 300)) {
    throw new TraceError(ErrorCode.conflict, `something already answers on ${endpoint}`, { hint: "choose another port with --port" });
  }
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, "a");
  const child = spawn(server, ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", log, log],
    detached: Boolean(options.detached),
  });
  if (options.detached) child.unref();
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await emulatorHealthy(endpoint, 500))) {
    if (child.exitCode !== null) {
      throw new TraceError(ErrorCode.failed, `the emulator exited at start-up with code ${child.exitCode}`, {
        hint: `see ${options.logFile}`,
      });
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new TraceError(ErrorCode.failed, `the emulator did not answer on ${endpoint} in time`, { hint: `see ${options.logFile}` });
    }
    await sleep(100);
  }
  return {
    endpoint,
    port,
    pid: child.pid ?? -1,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const until = Date.now() + 3000;
      while (child.exitCode === null && Date.now() < until) await sleep(50);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
