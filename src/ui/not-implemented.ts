import { ErrorCode, TraceError } from "../core/errors";

/** For commands whose issue has not landed yet: say so plainly, never pretend. */
export function notImplemented(command: string, issue: number): TraceError {
  return new TraceError(ErrorCode.notImplemented, `\`trace ${command}\` is not implemented yet (tracked in issue #${issue})`, {
    hint: "nothing was done; see README.md for what works today",
  });
}
