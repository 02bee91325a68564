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
import { collectBatch, type RangeRef, writeHeader } from "./phases";
import { finishNativeDay } from "./run";
import { mergeRangeBatch, writeRunBatch } from "./sorted-parts";

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
  /** A Distributed Map batch: the ItemBatcher's Items and BatchInput (files, or the day's time ranges to merge). */
  | { Items: FileRef[]; BatchInput: { action: "columns" | "part"; job: NativeJob } }
  | { Items: RangeRef[]; BatchInput: { action: "merge"; job: NativeJob } };

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
    const { job } = task.BatchInput;
    if (task.BatchInput.action === "merge") {
      const parts = await mergeRangeBatch(clients, job, task.Items as RangeRef[]);
      return { rows: parts.reduce((sum, p) => sum + p.rows, 0) };
    }
    const files = task.Items as FileRef[];
    if (task.BatchInput.action === "columns") {
      await collectBatch(clients, job, files);
      return { columns: 0 };
    }
    return { rows: (await writeRunBatch(clients, job, files)).rows };
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
    case "header": {
      // The time ranges' list, for the range map's ItemReader.
      const { bucket, key, count } = await writeHeader(clients, task.job);
      return { bucket, key, count };
    }
    case "assemble":
      return finishNativeDay(clients, task.job, reporter, signal, now);
  }
}
