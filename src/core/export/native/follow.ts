/**
 * `trace export --engine native` against a deployed environment: start the native export's state
 * machine for the day and follow it, showing the state it is in, until it ends. The manifest is
 * the execution's output (the Assemble task's). An interrupt stops the following, not the
 * execution: the day is committed when it finishes (or not at all), and the message names it.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { ErrorCode, interruptedError, isAbortError, TraceError } from "../../errors";
import type { Reporter } from "../../reporter";
import { sleep } from "../../sleep";
import type { Day } from "../day-window";
import type { ExportManifest } from "../manifest";

export interface FollowOptions {
  pollMs?: number;
  now?: () => number;
}

/** The state an execution last entered, from the newest events of its history. */
function lastState(events: readonly HistoryEvent[]): string | undefined {
  return events.find((e) => e.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
}

/** Starts the machine for `day` and follows it to its end; returns the day's manifest. */
export async function runNativeMachine(
  sfn: Pick<SFNClient, "send">,
  stateMachineArn: string,
  day: Day,
  reporter: Reporter,
  signal: AbortSignal,
  options: FollowOptions = {},
): Promise<ExportManifest> {
  const now = options.now ?? Date.now;
  const name = `${day}-cli-${new Date(now()).toISOString().replace(/[-:.]/g, "")}`;
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ day }) }), {
    abortSignal: signal,
  });
  reporter.debug(`${day}: execution ${executionArn}`);
  const progress = reporter.progress(`${day}: native export started`);
  const began = performance.now();
  try {
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }), { abortSignal: signal });
      if (execution.status === "SUCCEEDED") {
        const output = JSON.parse(execution.output ?? "{}") as { manifest?: ExportManifest };
        if (!output.manifest) throw new TraceError(ErrorCode.failed, `execution ${executionArn} ended without a manifest in its output`);
        return output.manifest;
      }
      if (execution.status !== "RUNNING" && execution.status !== "PENDING_REDRIVE") {
        throw new TraceError(
          ErrorCode.failed,
          `the native export of ${day} ${String(execution.status).toLowerCase()}: ${execution.error ?? ""}${execution.cause ? ` (${execution.cause})` : ""}`,
          { hint: `see execution ${executionArn} in the Step Functions console; nothing of the day was committed, export it again` },
        );
      }
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20 }), {
        abortSignal: signal,
      });
      const seconds = Math.round((performance.now() - began) / 1000);
      progress.update(`${day}: native export in ${lastState(history.events ?? []) ?? "its first state"} · ${seconds} s`);
      await sleep(options.pollMs ?? 5_000, signal);
    }
  } catch (error) {
    if (signal.aborted || isAbortError(error))
      throw interruptedError(`stopped following ${day}'s native export; it goes on and commits the day when it ends: ${executionArn}`);
    throw error;
  } finally {
    progress.stop();
  }
}
