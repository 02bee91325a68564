// Placeholder until issue #5 lands: the scheduled export (EventBridge Scheduler → Lambda) handler. It refuses to run rather than pretend.
import { ErrorCode, TraceError } from "../src/core/errors";

export async function handler(): Promise<never> {
  throw new TraceError(ErrorCode.notImplemented, "the export handler is not implemented yet (issue #5)");
}
