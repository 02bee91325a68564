/**
 * The state machine's tasks as one dispatch over the native steps, so the Lambda handler stays
 * thin and the in-process run and the deployed one share each step. Every task's input and
 * output is small (the job, a count, the file list's key): the file list and the workers' results
 * live in S3 beside the run, out of the 256 KB state.
 */
import type { Reporter } from "../../reporter";
import type { ExportManifest } from "../manifest";
import {
  type ExportState,
  exportState,
  type FileRef,
  listExportFiles,
  type NativeClients,
  type NativeJob,
  putFileList,
  startNativeExport,
} from "./job";
import { collectBatch, writeHeader, writePartBatch } from "./phases";
import { finishNativeDay } from "./run";

/** What the function knows from its environment. */
export interface NativeStepConfig {
  table: string;
  bucket: string;
  kmsKeyArn: string;
  timeZone: string;
  spreadsheetSafe: boolean;
  slackMs: number;
}

/** One task's input, as the state machine's definition (cloudformation/traceability.yaml) sends it. */
export type NativeTask =
  | { action: "start"; day: string; runId?: string }
  | { action: "poll"; job: NativeJob }
  | { action: "files"; job: NativeJob }
  | { action: "header"; job: NativeJob }
  | { action: "assemble"; job: NativeJob }
  /** A Distributed Map batch: the ItemBatcher's Items and BatchInput. */
  | { Items: FileRef[]; BatchInput: { action: "columns" | "part"; job: NativeJob } };

export type NativeTaskResult =
  | NativeJob
  | ExportState
  | { bucket: string; key: string; count: number }
  | { columns: number }
  | { rows: number }
  | ExportManifest;

/** Runs one task. */
export async function runNativeTask(
  clients: NativeClients,
  config: NativeStepConfig,
  task: NativeTask,
  reporter: Reporter,
  signal: AbortSignal,
  now: () => number = Date.now,
): Promise<NativeTaskResult> {
  if ("Items" in task) {
    const { action, job } = task.BatchInput;
    if (action === "columns") {
      await collectBatch(clients, job, task.Items);
      return { columns: 0 };
    }
    return { rows: (await writePartBatch(clients, job, task.Items)).rows };
  }
  switch (task.action) {
    case "start":
      return startNativeExport(
        clients,
        {
          table: config.table,
          day: task.day,
          timeZone: config.timeZone,
          bucket: config.bucket,
          kmsKeyId: config.kmsKeyArn,
          spreadsheetSafe: config.spreadsheetSafe,
          slackMs: config.slackMs,
          now: now(),
          runId: task.runId,
        },
        signal,
      );
    case "poll":
      return exportState(clients, task.job, signal);
    case "files": {
      const refs = await listExportFiles(clients, task.job, signal);
      return { bucket: task.job.bucket, key: await putFileList(clients, task.job, refs), count: refs.length };
    }
    case "header":
      return { columns: (await writeHeader(clients, task.job)).columns.length };
    case "assemble":
      return finishNativeDay(clients, task.job, reporter, signal, now);
  }
}
