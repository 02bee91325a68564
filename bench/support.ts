// Shared by the benchmarks: an emulator of their own, and honest statistics.
import { join } from "node:path";
import { findPackageRoot } from "../src/core/package-root";
import { type RunningEmulator, startEmulator } from "../src/local/emulator";

export const root = findPackageRoot(process.cwd());

export async function withEmulator<T>(run: (emulator: RunningEmulator) => Promise<T>): Promise<T> {
  const emulator = await startEmulator({ root, logFile: join(root, ".trace", "moto-bench.log") });
  try {
    return await run(emulator);
  } finally {
    await emulator.stop();
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Runs `fn` `runs` times (after `warmup` unmeasured runs) and returns the durations in ms. */
export async function measure(fn: () => Promise<unknown> | unknown, runs = 5, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

export function printRow(label: string, values: Record<string, string | number>): void {
  console.log(
    `${label.padEnd(48)} ${Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join("  ")}`,
  );
}
