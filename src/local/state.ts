/**
 * Where local mode records its emulator (pid, port, endpoint) and stream checkpoints. Kept apart
 * from `manage.ts` so reading it (`--local` on every command) loads no process management.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readSettings } from "../core/settings";

export interface EmulatorState {
  pid: number;
  port: number;
  endpoint: string;
  startedAt: string;
  logFile: string;
}

/** Where local mode keeps its state (emulator pid and port, stream checkpoints); TRACE_STATE_DIR moves it. */
export const stateDir = (root: string, env: NodeJS.ProcessEnv = process.env) => readSettings(env).stateDir ?? join(root, ".trace", "local");
export const stateFile = (root: string) => join(stateDir(root), "emulator.json");

/** The recorded emulator, if any (not checked for liveness). */
export function readState(root: string): EmulatorState | undefined {
  const path = stateFile(root);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as EmulatorState;
  } catch {
    return undefined; // a torn or hand-edited file is treated as "not running"
  }
}
