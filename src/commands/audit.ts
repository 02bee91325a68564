import type { Command } from "commander";
import type { AuditSettings, AuditShowRequest, AuditTableFlags } from "../core/audit/operations";
import type { AuditRedriveReport } from "../core/audit/redrive";
import { ExitCode } from "../core/errors";
import { renderTimeline } from "../ui/audit-render";
import { action, type CommandContext } from "../ui/context";
import { renderTable } from "../ui/output";

const tableFlags = (command: Command) =>
  command
    .option("--audit-table <name>", "Audit table (default: the audit stack's AuditTableName output)")
    .option("--index <name>", "history index (default: the audit stack's AuditHistoryIndexName output)");

function settings(ctx: CommandContext): AuditSettings {
  return { clients: () => ctx.clients(), env: () => ctx.environment(), reporter: ctx.reporter, signal: ctx.signal };
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
      action<Omit<AuditShowRequest, "key">, [string]>(async (ctx, options, key) => {
        const { auditShow } = await import("../core/audit/operations");
        const entries = await auditShow(settings(ctx), { ...options, key });
        const { describeEntry, plainEntry } = await import("../core/audit/present");
        // --json: plain entries whose numbers are ExactNumber, so a 38-digit value keeps every digit.
        ctx.output.result(ctx.output.json ? entries.map(plainEntry) : entries, () => renderTimeline(entries.map(describeEntry)));
      }),
    );

  registerAuditRedrive(audit);

  tableFlags(audit.command("keys").description("every audited key with its number of changes and its last change")).action(
    action<AuditTableFlags>(async (ctx, options) => {
      const { auditKeys } = await import("../core/audit/operations");
      const { tableName, keys } = await auditKeys(settings(ctx), options);
      if (keys.length === 0) ctx.reporter.info(`no audited keys in ${tableName}`);
      ctx.output.result(keys, (list) =>
        list.length
          ? renderTable(
              ["key", "changes", "last change"],
              list.map((k) => [k.itemKey, String(k.changes), k.lastChange]),
            )
          : undefined,
      );
      // Nothing matched is exit 3, as for `audit show` and `archive list`.
      return keys.length === 0 ? ExitCode.notFound : ExitCode.ok;
    }),
  );
}

function redriveText(r: AuditRedriveReport): string {
  const rows = r.objects.flatMap((o) =>
    o.records.length > 0
      ? o.records.map((rec) => [
          rec.itemKey,
          rec.eventName,
          rec.status === "failed" ? `failed: ${rec.error ?? "?"}` : `${rec.status} (${rec.written}/${rec.entries} entries written)`,
          o.from,
        ])
      : [["?", "?", o.lost ? `lost: ${o.lost.reason}` : `not redriven: ${o.error ?? "no records"}`, o.key]],
  );
  const summary = `entries written ${r.written}, records already audited ${r.alreadyAudited}, failed ${r.failed}, lost ${r.lost}`;
  if (rows.length === 0) return `nothing to redrive: no failed Configuration batch in s3://${r.bucket}/aws/lambda/\n${summary}`;
  return `${renderTable(["key", "change", "result", "records from"], rows)}\n${summary}`;
}

function registerAuditRedrive(audit: Command): void {
  audit
    .command("redrive")
    .description("write the audit entries of the Configuration batches the stream mapping gave up on (kept whole in the data bucket)")
    .option("--bucket <name>", "the mapping's on-failure bucket (default: DataBucketName of the base stack)")
    .option("--audit-table <name>", "Audit table (default: the audit stack's AuditTableName output)")
    .addHelpText(
      "after",
      `
The mapping keeps each failed batch whole in s3://<data bucket>/aws/lambda/<mapping>/<shard>/...;
each record's entries are written (idempotent: a second run writes nothing), and an object whose
records are all audited is deleted (a noncurrent version stays 90 days). No deadline: the records
are in the object, not only in the stream. Exit 1 when a record still fails.
Example:
  trace audit redrive --json`,
    )
    .action(
      action<{ bucket?: string; auditTable?: string }>(async (ctx, options) => {
        const { auditRedrive } = await import("../core/audit/operations");
        const result = await auditRedrive({
          clients: () => ctx.clients(),
          env: () => ctx.environment(),
          reporter: ctx.reporter,
          signal: ctx.signal,
          bucket: options.bucket,
          auditTable: options.auditTable,
        });
        ctx.output.result(result, redriveText);
        return result.failed + result.lost > 0 ? ExitCode.failed : ExitCode.ok;
      }),
    );
}
