/**
 * Reading the audit trail: one key's history through the `itemKey` + `modificationTime` GSI
 * (newest first, optionally within a time window), and a summary of every audited key.
 */
import { type AttributeValue, type DynamoDBClient, paginateQuery, paginateScan, type QueryCommandInput } from "@aws-sdk/client-dynamodb";
import { ErrorCode, TraceError, toTraceError, usageError } from "../errors";
import type { Reporter } from "../reporter";
import type { Item } from "./attribute-values";
import { type AuditEntry, fromAuditItem } from "./entries";

export interface AuditTables {
  tableName: string;
  indexName: string;
  /** Items per request (default: DynamoDB's 1 MB pages); small values exercise pagination in tests. */
  pageSize?: number | undefined;
}

export interface HistoryOptions extends AuditTables {
  itemKey: string;
  /** Inclusive lower bound, ISO-8601 UTC (see parseTimeBound). */
  since?: string | undefined;
  /** Inclusive upper bound, ISO-8601 UTC. */
  until?: string | undefined;
  /** At most this many entries (the newest). */
  limit?: number | undefined;
}

/**
 * A key's audit entries, newest first, through the GSI. Throws a not-found error (exit 3) when
 * the key has no entry (in the window, when one is given) and when the table or index is missing.
 */
export async function readAuditHistory(
  dynamodb: Pick<DynamoDBClient, "send">,
  options: HistoryOptions,
  signal?: AbortSignal,
): Promise<AuditEntry[]> {
  const { since, until, limit } = options;
  if (since && until && since > until) {
    throw usageError(`--since ${since} is after --until ${until}`, "swap them, or widen the window");
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw usageError(`--limit ${limit} is not a positive whole number`, "pass e.g. --limit 20");
  }
  const values: Record<string, AttributeValue> = { ":k": { S: options.itemKey } };
  let timeCondition = "";
  if (since && until) {
    timeCondition = " AND #t BETWEEN :since AND :until";
    values[":since"] = { S: since };
    values[":until"] = { S: until };
  } else if (since) {
    timeCondition = " AND #t >= :since";
    values[":since"] = { S: since };
  } else if (until) {
    timeCondition = " AND #t <= :until";
    values[":until"] = { S: until };
  }
  const input: QueryCommandInput = {
    TableName: options.tableName,
    IndexName: options.indexName,
    KeyConditionExpression: `#k = :k${timeCondition}`,
    ExpressionAttributeNames: { "#k": "itemKey", ...(timeCondition ? { "#t": "modificationTime" } : {}) },
    ExpressionAttributeValues: values,
    ScanIndexForward: false,
    ...(options.pageSize !== undefined || limit !== undefined ? { Limit: options.pageSize ?? Math.min(limit ?? 1000, 1000) } : {}),
  };
  const entries: AuditEntry[] = [];
  try {
    for await (const page of paginateQuery({ client: dynamodb as DynamoDBClient }, input, { abortSignal: signal })) {
      for (const item of page.Items ?? []) {
        entries.push(fromAuditItem(item as Item));
        if (limit !== undefined && entries.length >= limit) break;
      }
      if (limit !== undefined && entries.length >= limit) break;
    }
  } catch (error) {
    throw toTraceError(error, `audit table ${options.tableName} (index ${options.indexName})`);
  }
  if (entries.length === 0) {
    const window = since || until ? ` between ${since ?? "the beginning"} and ${until ?? "now"}` : "";
    throw new TraceError(
      ErrorCode.notFound,
      `no audit history for key ${JSON.stringify(options.itemKey)}${window} in ${options.tableName}`,
      {
        hint: window
          ? "widen --since/--until, or drop them to see the whole history"
          : "keys are case-sensitive; `trace audit keys` lists every audited key",
      },
    );
  }
  return entries;
}

export interface AuditedKey {
  itemKey: string;
  /** Number of audit entries (one per INSERT / REMOVE, one per changed attribute on MODIFY). */
  changes: number;
  /** ISO-8601 UTC time of the newest entry. */
  lastChange: string;
}

/**
 * Every audited key with its number of entries and its last change, sorted by key. Scans the
 * GSI (paginated) projecting only `itemKey` and `modificationTime`: the cost grows with the
 * number of entries, which is fine for an operator command on a configuration table's history.
 */
export async function listAuditedKeys(
  dynamodb: Pick<DynamoDBClient, "send">,
  tables: AuditTables,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<AuditedKey[]> {
  const byKey = new Map<string, AuditedKey>();
  const progress = reporter.progress(`reading ${tables.tableName}`);
  let scanned = 0;
  try {
    const pages = paginateScan(
      { client: dynamodb as DynamoDBClient },
      {
        TableName: tables.tableName,
        IndexName: tables.indexName,
        ProjectionExpression: "#k, #t",
        ExpressionAttributeNames: { "#k": "itemKey", "#t": "modificationTime" },
        ...(tables.pageSize !== undefined ? { Limit: tables.pageSize } : {}),
      },
      { abortSignal: signal },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const itemKey = item.itemKey?.S;
        const time = item.modificationTime?.S ?? "";
        if (itemKey === undefined) continue;
        const known = byKey.get(itemKey);
        if (known) {
          known.changes++;
          if (time > known.lastChange) known.lastChange = time;
        } else byKey.set(itemKey, { itemKey, changes: 1, lastChange: time });
      }
      scanned += page.Items?.length ?? 0;
      progress.update(`reading ${tables.tableName}: ${scanned} entries, ${byKey.size} keys`);
    }
    progress.stop();
  } catch (error) {
    progress.fail();
    throw toTraceError(error, `audit table ${tables.tableName} (index ${tables.indexName})`);
  }
  return [...byKey.values()].sort((a, b) => (a.itemKey < b.itemKey ? -1 : a.itemKey > b.itemKey ? 1 : 0));
}
