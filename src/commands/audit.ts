import type { Command } from "commander";
import { usageError } from "../core/errors";
import { isoWindow, parseTimeWindow } from "../core/time-bounds";
import { renderTimeline } from "../ui/audit-render";
import { action, type CommandContext } from "../ui/context";
import { renderTable } from "../ui/output";

interface TableOptions {
  auditTable?: string;
  index?: string;
}

interface ShowOptions extends TableOptions {
  since?: string;
  until?: string;
  limit?: string;
}

const tableFlags = (command: Command) =>
  command
    .option("--audit-table <name>", "Audit table (default: the audit stack's AuditTableName output)")
    .option("--index <name>", "history index (default: the audit stack's AuditHistoryIndexName output)");

async function auditTables(ctx: CommandContext, options: TableOptions) {
  const clients = await ctx.clients();
  const { resolveOutputs } = await import("../core/resources");
  const names = await resolveOutputs(
    clients.cloudformation,
    ctx.environment(),
    ["AuditTableName", "AuditHistoryIndexName"],
    { AuditTableName: options.auditTable, AuditHistoryIndexName: options.index },
    { AuditTableName: "--audit-table", AuditHistoryIndexName: "--index" },
  );
  return { clients, tables: { tableName: names.AuditTableName, indexName: names.AuditHistoryIndexName } };
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw usageError(`--limit ${JSON.stringify(text)} is not a positive whole number`, "pass e.g. --limit 20");
  }
  return Number(text);
}

export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("show the change history of Configuration keys from the Audit table");

  tableFlags(
    audit
      .command("show")
      .description("a key's changes, newest first: time, change, attribute, old → new (maps as a diff)")
      .argument("<key>", "the Configuration key (case-sensitive)")
      .option("--since <when>", "only changes at or after this date (00:00 UTC) or ISO-8601 date-time (no offset: UTC)")
      .option("--until <when>", "only changes before this date (00:00 UTC) or date-time (exclusive)")
      .option("--limit <n>", "at most the n newest changes"),
  )
    .addHelpText(
      "after",
      "\nExit code 3 when the key has no history (in the window).\nExample:\n  trace audit show CACHE_TTL_SEC --since 2026-11-01 --limit 20",
    )
    .action(
      action<ShowOptions, [string]>(async (ctx, options, key) => {
        const { readAuditHistory } = await import("../core/audit/history");
        const { since, until } = isoWindow(parseTimeWindow(options));
        const limit = parseLimit(options.limit);
        const { clients, tables } = await auditTables(ctx, options);
        const entries = await readAuditHistory(clients.dynamodb, { ...tables, itemKey: key, since, until, limit }, ctx.signal);
        const { describeEntry, plainEntry } = await import("../core/audit/present");
        // --json: plain entries whose numbers are ExactNumber, so a 38-digit value keeps every digit.
        ctx.output.result(ctx.output.json ? entries.map(plainEntry) : entries, () => renderTimeline(entries.map(describeEntry)));
      }),
    );

  tableFlags(audit.command("keys").description("every audited key with its number of changes and its last change")).action(
    action<TableOptions>(async (ctx, options) => {
      const { listAuditedKeys } = await import("../core/audit/history");
      const { clients, tables } = await auditTables(ctx, options);
      const keys = await listAuditedKeys(clients.dynamodb, tables, ctx.reporter, ctx.signal);
      if (keys.length === 0) ctx.reporter.info(`no audited keys in ${tables.tableName}`);
      ctx.output.result(keys, (list) =>
        list.length
          ? renderTable(
              ["key", "changes", "last change"],
              list.map((k) => [k.itemKey, String(k.changes), k.lastChange]),
            )
          : undefined,
      );
    }),
  );
}
