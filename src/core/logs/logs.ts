/**
 * `trace logs`: the log events of a job or a function, as `sam logs` shows them. The log groups
 * are found from the stacks (each function's AWS::Logs::LogGroup, by logical id), read with
 * FilterLogEvents (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html)
 * and merged in time order; `follow` polls for new events until the signal aborts.
 */
import { type CloudFormationClient, DescribeStackResourceCommand } from "@aws-sdk/client-cloudformation";
import { type CloudWatchLogsClient, type FilteredLogEvent, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { EnvironmentConfig } from "../config";
import { notFoundError, usageError } from "../errors";
import { sleep } from "../sleep";
import { type StackId, stackName } from "../stacks";

type GroupRef = { stack: StackId; logicalId: string };

/** Jobs and functions by name, and the log groups (template logical ids) each reads. */
export const LOG_TARGETS: Record<string, readonly GroupRef[]> = {
  export: [
    { stack: "traceability", logicalId: "ExportLogGroup" },
    { stack: "traceability", logicalId: "NativeExportLogGroup" },
    { stack: "traceability", logicalId: "StamperLogGroup" },
  ],
  "export-function": [{ stack: "traceability", logicalId: "ExportLogGroup" }],
  "export-native": [{ stack: "traceability", logicalId: "NativeExportLogGroup" }],
  stamper: [{ stack: "traceability", logicalId: "StamperLogGroup" }],
  audit: [{ stack: "audit", logicalId: "AuditProducerLogGroup" }],
  "audit-producer": [{ stack: "audit", logicalId: "AuditProducerLogGroup" }],
  archive: [{ stack: "archive", logicalId: "ArchiverLogGroup" }],
  archiver: [{ stack: "archive", logicalId: "ArchiverLogGroup" }],
};

/** The names `trace logs` accepts (audit_producer is accepted for audit-producer). */
export const logTargetNames = () => Object.keys(LOG_TARGETS);

/** The physical log group names of a target, from its stacks. */
export async function logGroupsFor(
  cloudformation: CloudFormationClient,
  env: Pick<EnvironmentConfig, "stage">,
  target: string,
): Promise<string[]> {
  const refs = LOG_TARGETS[target.replace(/_/g, "-")];
  if (!refs) throw usageError(`unknown job or function "${target}"`, `choose one of: ${logTargetNames().join(", ")}`);
  const groups: string[] = [];
  for (const ref of refs) {
    const name = stackName(env, ref.stack);
    try {
      const { StackResourceDetail } = await cloudformation.send(
        new DescribeStackResourceCommand({ StackName: name, LogicalResourceId: ref.logicalId }),
      );
      if (StackResourceDetail?.PhysicalResourceId) groups.push(StackResourceDetail.PhysicalResourceId);
    } catch (error) {
      if ((error as Error).name !== "ValidationError") throw error;
      throw notFoundError(
        `stack ${name} has no log group ${ref.logicalId} (not deployed?)`,
        `deploy it with \`trace deploy ${ref.stack}\``,
      );
    }
  }
  return groups;
}

export interface LogEvent {
  logGroup: string;
  logStream: string;
  timestamp: number;
  eventId: string;
  message: string;
}

export interface ReadLogsOptions {
  logs: CloudWatchLogsClient;
  groups: readonly string[];
  /** Epoch ms of the oldest event. */
  since: number;
  /** A CloudWatch Logs filter pattern (terms, "a phrase", or { $.level = "ERROR" }). */
  filter?: string;
  follow?: boolean;
  /** Pause between polls when following. */
  pollMs?: number;
  signal: AbortSignal;
  /** Called with each batch of events, in time order. */
  onEvents: (events: LogEvent[]) => void;
}

async function readGroup(o: ReadLogsOptions, group: string, since: number): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await o.logs.send(
      new FilterLogEventsCommand({ logGroupName: group, startTime: since, ...(o.filter ? { filterPattern: o.filter } : {}), nextToken }),
      { abortSignal: o.signal },
    );
    for (const e of page.events ?? ([] as FilteredLogEvent[])) {
      events.push({
        logGroup: group,
        logStream: e.logStreamName ?? "",
        timestamp: e.timestamp ?? 0,
        eventId: e.eventId ?? "",
        message: e.message ?? "",
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Reads the groups' events since `since` (and, with follow, keeps reading new ones until aborted). */
export async function readLogs(o: ReadLogsOptions): Promise<number> {
  const seen = new Set<string>();
  let since = o.since;
  let total = 0;
  for (;;) {
    const batches = await Promise.all(o.groups.map((g) => readGroup(o, g, since)));
    const fresh = batches
      .flat()
      .filter((e) => !seen.has(`${e.logGroup}/${e.eventId}`))
      .sort((a, b) => a.timestamp - b.timestamp);
    for (const e of fresh) {
      seen.add(`${e.logGroup}/${e.eventId}`);
      since = Math.max(since, e.timestamp);
    }
    if (fresh.length > 0) o.onEvents(fresh);
    total += fresh.length;
    if (!o.follow || o.signal.aborted) return total;
    try {
      await sleep(o.pollMs ?? 2_000, o.signal);
    } catch {
      return total;
    }
  }
}

/** `--since`: 30s, 15m, 1h, 2d, or an ISO date-time; epoch ms. */
export function parseSince(text: string, now: number = Date.now()): number {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as "s" | "m" | "h" | "d"];
    return now - Number(relative[1]) * unit;
  }
  const absolute = Date.parse(text);
  if (!Number.isNaN(absolute) && /^\d{4}-\d{2}-\d{2}/.test(text)) return absolute;
  throw usageError(
    `--since ${JSON.stringify(text)} is neither a duration nor a date-time`,
    "use 30s, 15m, 1h, 2d, or an ISO date-time such as 2026-11-23T19:00:00Z",
  );
}
