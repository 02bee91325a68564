// Placeholder until issue #6 lands: the audit_producer (Configuration stream → Audit) handler. It refuses to run rather than pretend.
import { ErrorCode, TraceError } from "../src/core/errors";

export async function handler(): Promise<never> {
  throw new TraceError(ErrorCode.notImplemented, "the audit-producer handler is not implemented yet (issue #6)");
}
