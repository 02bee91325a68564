/**
 * The scheduled export's choice by size, and its hand-over of big days to the state machine:
 * the table's ItemCount over the retention estimates a day's rows (`chooseEngine`); above the
 * threshold each day becomes one execution, named by the day and the scheduled time so that a
 * retried invocation finds the execution it already started (StartExecution is idempotent for the
 * same name and input) instead of exporting the day twice.
 */
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { Day } from "../day-window";
import { hasDayIndex } from "../read-query";
import { chooseEngine, type EngineChoice } from "./choose-engine";

export interface ScheduledChoiceInput {
  table: string;
  retentionDays: number;
  /** Undefined (or no state machine) keeps every day on the function. */
  nativeAboveRows: number | undefined;
}

/** The read path for the scheduled days, from the table's description. */
export async function scheduledEngine(dynamodb: Pick<DynamoDBClient, "send">, input: ScheduledChoiceInput): Promise<EngineChoice> {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: input.table }));
  return chooseEngine({
    itemCount: Table?.ItemCount ?? 0,
    retentionDays: input.retentionDays,
    nativeAboveRows: input.nativeAboveRows,
    dayIndex: hasDayIndex(Table),
  });
}

/** An execution name (at most 80 of [A-Za-z0-9-_]): the day and the scheduled instant. */
export const executionName = (day: Day, at: number) => `${day}-${new Date(at).toISOString().replace(/[-:.]/g, "")}`;

export interface StartedExecution {
  day: Day;
  executionArn: string;
  /** True when a run for the same day and scheduled time had already started it (a retried invocation). */
  alreadyStarted: boolean;
}

/**
 * Starts one execution per day; returns their ARNs in the order of the days. Step Functions
 * answers a repeated name with the running execution, or ExecutionAlreadyExists once it has
 * finished: either way the day was handed over, and its execution's ARN is returned.
 */
export async function startNativeExecutions(
  sfn: Pick<SFNClient, "send">,
  stateMachineArn: string,
  days: readonly Day[],
  at: number,
): Promise<StartedExecution[]> {
  const started: StartedExecution[] = [];
  for (const day of days) {
    const name = executionName(day, at);
    try {
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ day }) }));
      started.push({ day, executionArn: out.executionArn as string, alreadyStarted: false });
    } catch (error) {
      if ((error as Error).name !== "ExecutionAlreadyExists") throw error;
      const executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
      started.push({ day, executionArn, alreadyStarted: true });
    }
  }
  return started;
}
