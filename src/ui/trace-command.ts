// How hints spell the CLI: `trace` once it is on PATH (README: `npm link`), else `npx trace`, which
// works in the project folder without setting anything up. A hint must run as printed.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** `trace` when an executable of that name is on PATH, else `npx trace`. */
export function traceCommand(path = process.env.PATH ?? ""): string {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, "trace"), constants.X_OK);
      return "trace";
    } catch {
      // not here
    }
  }
  return "npx trace";
}
