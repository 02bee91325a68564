// Placeholder until issue #7 lands: the archiver (Pipe → bus → REMOVE rule → Lambda) handler. It refuses to run rather than pretend.
import { ErrorCode, TraceError } from "../src/core/errors";

export async function handler(): Promise<never> {
  throw new TraceError(ErrorCode.notImplemented, "the archiver handler is not implemented yet (issue #7)");
}
