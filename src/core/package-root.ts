/**
 * The installed package's root, where bundled files live (cloudformation/, lambda/, scripts/,
 * .venv/). Found by walking up to package.json, never by a fixed directory depth, so it works
 * from src/ (tests), from dist/ (the built CLI) and from any chunk esbuild splits out.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorCode, TraceError } from "./errors";

export function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new TraceError(ErrorCode.failed, `cannot find the trace package root above ${start}`);
    dir = parent;
  }
  return dir;
}

/** The root of the package this code runs from. */
export const packageRoot = (): string => findPackageRoot(dirname(fileURLToPath(import.meta.url)));
