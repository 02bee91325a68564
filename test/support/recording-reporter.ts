// The one recording reporter for tests: says nothing, confirms everything (as silentReporter) and
// keeps every info and warning with its data, in order.
import { overrideReporter, type Reporter, silentReporter } from "../../src/core/reporter";

export interface Recorded {
  message: string;
  data: Record<string, unknown> | undefined;
}

export interface RecordingReporter extends Reporter {
  readonly infos: Recorded[];
  readonly warnings: Recorded[];
}

export function recordingReporter(): RecordingReporter {
  const infos: Recorded[] = [];
  const warnings: Recorded[] = [];
  const reporter = overrideReporter(silentReporter, {
    info: (message, data) => infos.push({ message, data }),
    warn: (message, data) => warnings.push({ message, data }),
  });
  return Object.assign(reporter, { infos, warnings });
}
