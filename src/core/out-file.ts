/**
 * `--out <file>`: checked before anything is read, so a path that cannot be written fails at once
 * (exit 2, naming the path), not after the whole read with an internal `.partial-…` file's name.
 */
import { closeSync, openSync, statSync, unlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { usageError } from "./errors";

/**
 * Throws a usage error when `path` is a directory, its directory is missing, or nothing can be
 * created there. The probe creates and removes a file beside it: the export writes a temporary file
 * there and renames it, and a probe is the one check that also holds for root (who passes every
 * permission check yet cannot write to a read-only file system).
 */
export function checkOutFile(path: string, flag = "--out"): void {
  const full = resolve(path);
  const kind = statKind(full);
  if (kind === "directory") {
    throw usageError(`${flag} ${path} is a directory`, `name a file in it, e.g. ${flag} ${path.replace(/\/$/, "")}/day.csv`);
  }
  const dir = dirname(full);
  const dirKind = statKind(dir);
  if (dirKind === "missing") throw usageError(`${flag} ${path}: directory ${dir} does not exist`, `create it first (mkdir -p ${dir})`);
  if (dirKind !== "directory") throw usageError(`${flag} ${path}: ${dir} is not a directory`, "name a file in an existing directory");
  const probe = `${full}.trace-probe-${process.pid}`;
  try {
    closeSync(openSync(probe, "wx"));
    unlinkSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw usageError(`${flag} ${path}: cannot create a file in ${dir} (${code})`, "choose a directory you can write to");
  }
}

function statKind(path: string): "missing" | "directory" | "other" {
  try {
    return statSync(path).isDirectory() ? "directory" : "other";
  } catch {
    return "missing";
  }
}
