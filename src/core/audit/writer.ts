/**
 * Writes audit entries so that writing the same entries twice changes nothing: each entry is a
 * conditional PutItem on `attribute_not_exists(id)`, and ids are derived from the stream record
 * (see entries.ts), so a replay meets its own earlier write and is counted as a duplicate.
 */
import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { toTraceError } from "../errors";
import { type AuditableRecord, type AuditEntry, auditEntries, toAuditItem } from "./entries";

/** The one DynamoDB call the writer makes; a narrow port so tests can inject faults. */
export type PutItemPort = Pick<DynamoDBClient, "send">;

export interface WriteResult {
  /** Entries the record made. */
  entries: number;
  /** Entries written now. */
  written: number;
  /** Entries already present (a replayed record). */
  duplicates: number;
}

/**
 * Writes entries to the Audit table, in parallel (a MODIFY may carry several). An entry whose id
 * already exists is a duplicate, not an error. Any other failure rejects with a TraceError naming
 * the table; entries written before it stay, and a retry skips them as duplicates.
 */
export async function writeAuditEntries(
  dynamodb: PutItemPort,
  tableName: string,
  entries: readonly AuditEntry[],
  signal?: AbortSignal,
): Promise<WriteResult> {
  const outcomes = await Promise.allSettled(
    entries.map(async (entry) => {
      try {
        await dynamodb.send(
          new PutItemCommand({
            TableName: tableName,
            Item: toAuditItem(entry),
            ConditionExpression: "attribute_not_exists(id)",
          }),
          { abortSignal: signal },
        );
        return "written" as const;
      } catch (error) {
        if ((error as Error).name === "ConditionalCheckFailedException") return "duplicate" as const;
        throw toTraceError(error, `audit table ${tableName}, entry ${entry.id} (${entry.itemKey})`);
      }
    }),
  );
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
  const written = outcomes.filter((o) => o.status === "fulfilled" && o.value === "written").length;
  return { entries: entries.length, written, duplicates: entries.length - written };
}

/** Computes a stream record's entries and writes them: what the audit_producer does per record. */
export async function auditRecord(
  dynamodb: PutItemPort,
  tableName: string,
  record: AuditableRecord,
  signal?: AbortSignal,
): Promise<WriteResult> {
  return writeAuditEntries(dynamodb, tableName, auditEntries(record), signal);
}
