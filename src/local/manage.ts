/**
 * `trace local start|stop|status`: one emulator per project checkout, on loopback, recorded in
 * a state file so later commands (and `--local`) find it. The virtualenv is created on first use.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, TraceError } from "../core/errors";
import type { Reporter } from "../core/reporter";
import { sleep } from "../core/sleep";
import { emulatorHealthy, motoServerPath, startEmulator } from "./emulator";
import { type EmulatorState, readState, stateDir, stateFile } from "./state";

export interface EmulatorStatus {
  running: boolean;
  healthy: boolean;
  state: EmulatorState | undefined;
  stateFile: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the recorded emulator is running and answering. */
export async function emulatorStatus(root: string): Promise<EmulatorStatus> {
  const state = readState(root);
  const running = state !== undefined && processAlive(state.pid);
  const healthy = running && state !== undefined && (await emulatorHealthy(state.endpoint));
  return { running, healthy, state: running ? state : undefined, stateFile: stateFile(root) };
}

/** Creates the project-local virtualenv with the pinned emulator when it is missing. */
export async function ensureEmulatorInstalled(root: string, reporter: Reporter, signal?: AbortSignal): Promise<void> {
  if (existsSync(motoServerPath(root))) return;
  const progress = reporter.progress("installing the local AWS emulator into .venv/ (first use, about a minute)…");
  const script = join(root, "scripts", "setup-emulator.sh");
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn("bash", [script], { cwd: root, stdio: ["ignore", "pipe", "pipe"], signal });
    child.stdout.on("data", (d) => output.push(String(d)));
    child.stderr.on("data", (d) => output.push(String(d)));
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) {
    progress.fail("could not install the local AWS emulator");
    const text = output.join("").trim();
    throw new TraceError(
      code === 2 ? ErrorCode.usage : ErrorCode.failed,
      text
        .split("\n")
        .find((l) => l.startsWith("error:"))
        ?.replace(/^error: /, "") ?? text,
      {
        hint:
          text
            .split("\n")
            .find((l) => l.startsWith("hint:"))
            ?.replace(/^hint: /, "") ?? "run `npm run setup:emulator` to see the full output",
      },
    );
  }
  progress.succeed("local AWS emulator installed in .venv/");
}

export interface StartResult extends EmulatorState {
  alreadyRunning: boolean;
}

/**
 * Starts the emulator in the background (or reports the one already running). `portRequested`:
 * the port was asked for (--port, TRACE_LOCAL_PORT), so one running on another port is a conflict
 * (exit 4), not success: this checkout records one emulator.
 */
export async function startLocalEmulator(
  root: string,
  port: number,
  reporter: Reporter,
  signal?: AbortSignal,
  portRequested = false,
): Promise<StartResult> {
  const current = await emulatorStatus(root);
  if (current.running && current.state && portRequested && current.state.port !== port) {
    throw new TraceError(
      ErrorCode.conflict,
      `an emulator already runs on ${current.state.endpoint} (pid ${current.state.pid}); port ${port} was asked for`,
      { hint: `use that one (drop --port / TRACE_LOCAL_PORT, or pass --port ${current.state.port}), or \`trace local stop\` it first` },
    );
  }
  if (current.running && current.state) {
    if (!current.healthy) {
      throw new TraceError(
        ErrorCode.failed,
        `the emulator (pid ${current.state.pid}) is running but does not answer on ${current.state.endpoint}`,
        {
          hint: "run `trace local stop` and start it again",
        },
      );
    }
    return { ...current.state, alreadyRunning: true };
  }
  await ensureEmulatorInstalled(root, reporter, signal);
  mkdirSync(stateDir(root), { recursive: true });
  const logFile = join(stateDir(root), "emulator.log");
  const progress = reporter.progress(`starting the emulator on 127.0.0.1:${port}…`);
  try {
    const emulator = await startEmulator({ root, port, logFile, detached: true });
    const state: EmulatorState = { pid: emulator.pid, port, endpoint: emulator.endpoint, startedAt: new Date().toISOString(), logFile };
    writeFileSync(stateFile(root), `${JSON.stringify(state, null, 2)}\n`);
    progress.succeed(`emulator running on ${emulator.endpoint} (pid ${emulator.pid})`);
    return { ...state, alreadyRunning: false };
  } catch (error) {
    progress.fail();
    throw error;
  }
}

/** Stops the recorded emulator; a no-op when none runs. Returns the state it stopped. */
export async function stopLocalEmulator(root: string): Promise<EmulatorState | undefined> {
  const { state } = await emulatorStatus(root);
  if (state) {
    process.kill(state.pid, "SIGTERM");
    const until = Date.now() + 5000;
    while (processAlive(state.pid) && Date.now() < until) await sleep(50);
    if (processAlive(state.pid)) process.kill(state.pid, "SIGKILL");
  }
  rmSync(stateFile(root), { force: true });
  return state;
}
