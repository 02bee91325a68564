/**
 * The scheduled export's choice of read path by size. DescribeTable's ItemCount (refreshed by
 * DynamoDB about every six hours) over the retention in days estimates one day's rows; above the
 * configured threshold the day goes to the native path, else to the query path when the day
 * index exists, else to the scan.
 */

export type ExportEngine = "scan" | "query" | "native";

export interface EngineChoiceInput {
  /** DescribeTable's ItemCount for TRAZABILIDAD. */
  itemCount: number;
  /** How many days the table keeps (config `retentionDays`). */
  retentionDays: number;
  /** Config `nativeExportAboveRows`; undefined turns the native path off. */
  nativeAboveRows: number | undefined;
  /** Whether the table has the day index (`dia-index`). */
  dayIndex: boolean;
}

export interface EngineChoice {
  engine: ExportEngine;
  estimatedRowsPerDay: number;
}

/** Chooses the read path for a scheduled day from the table's estimated rows per day. */
export function chooseEngine(input: EngineChoiceInput): EngineChoice {
  const estimatedRowsPerDay = Math.ceil(input.itemCount / Math.max(1, input.retentionDays));
  if (input.nativeAboveRows !== undefined && estimatedRowsPerDay > input.nativeAboveRows) {
    return { engine: "native", estimatedRowsPerDay };
  }
  return { engine: input.dayIndex ? "query" : "scan", estimatedRowsPerDay };
}
