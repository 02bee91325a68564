// The human rendering of `trace local streams`: one row per consumer, then each record given up on
// and where its failure message went (the --json output carries the same, as data).
import type { LocalStreamsResult } from "../local/streams-run";
import { renderTable } from "./output";

export function renderLocalStreams(result: LocalStreamsResult): string {
  const table = renderTable(
    ["consumer", "read", "handled", "failed", "given up on"],
    result.consumers.map((c) => [c.name, String(c.read), String(c.handled), String(c.failed), String(c.discarded)]),
  );
  const failures = result.consumers.flatMap((c) => c.failures);
  if (failures.length === 0) return table;
  const lines = failures.map(
    (f) =>
      `  ${f.consumer}: ${f.records} record(s) from ${f.firstEventId} (sequence ${f.startSequenceNumber}${
        f.endSequenceNumber !== f.startSequenceNumber ? `..${f.endSequenceNumber}` : ""
      }) after ${f.attempts} attempt(s): ${f.reason}\n    ${
        f.queueUrl
          ? `→ ${f.queueUrl} (message ${f.messageId})`
          : f.object
            ? `→ kept whole: ${f.object}`
            : "→ dropped: no failure destination"
      }`,
  );
  return `${table}\n\ngiven up on (as the deployed mapping/rule would; the shard moved on):\n${lines.join("\n")}`;
}
