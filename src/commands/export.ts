import type { Command } from "commander";
import type { ExportRawRequest, ExportResult } from "../core/export/operations";
import { action } from "../ui/context";
import { formatBytes, formatDuration, renderTable } from "../ui/output";

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("export one day (or a range) of TRAZABILIDAD to CSV in the encrypted bucket")
    .option("--date <YYYY-MM-DD>", "the day to export, in the business time zone (default: today there)")
    .option("--from <YYYY-MM-DD>", "first day of a backfill (with --to, both included)")
    .option("--to <YYYY-MM-DD>", "last day of a backfill (with --from)")
    .option("--segments <n>", "parallel scan segments (default: the environment's exportSegments)")
    .option("--out <file|->", "write the CSV to a local file, or to stdout with '-', instead of S3")
    .option("--dry-run", "scan and count only; write nothing")
    .option(
      "--engine <scan|query|native>",
      "how to read: query the day index (dia-index), scan the table (default: query when the index exists), or native: DynamoDB's export to S3, for big days (S3 target only)",
    )
    .option("--in-process", "--engine native: run the export's steps here instead of the deployed state machine")
    .option("--state-machine <arn>", "--engine native: the state machine to run (default: the traceability stack's output)")
    .option("--table <name>", "table to export (default: the traceability stack's output)")
    .option("--bucket <name>", "bucket to write to (default: the base stack's output)")
    .option("--kms-key <arn>", "KMS key to encrypt with (default: the base stack's output)")
    .option(
      "--spreadsheet-safe",
      "escape string cells that Excel/LibreOffice would run as a formula (=, +, -, @, tab, CR first) with a leading ' (default: the environment's spreadsheetSafe, else verbatim)",
    )
    .option("--no-spreadsheet-safe", "keep every value verbatim even if the environment sets spreadsheetSafe")
    .option(
      "--force",
      "replace the export of a day older than the table's retentionDays (refused otherwise, exit 4: TTL may have removed its records)",
    )
    .addHelpText(
      "after",
      `
A record belongs to a day when its fecha, seen in the business time zone, falls on it.
With the day index (dia-index on the writer-set dia), only the day's partition and its neighbours
are read; --engine scan reads the whole table (for records written without dia). --engine native
reads no table capacity: DynamoDB exports the day (point-in-time recovery needed) and its files
are formatted in parallel into the same CSV by the deployed state machine, followed here (or by
this process with --in-process, and always against an emulator); it takes minutes, and is meant
for days too big for one function (docs/export.md, "Big days").
Objects: s3://<bucket>/exports/<table>/dt=YYYY-MM-DD/<table>_YYYY-MM-DD.csv and _manifest.json.
The manifest is written last and names the CSV's version (csvVersionId): read it first, then
that version. --out <file> writes <file> and <file>.manifest.json, put in place together.
--spreadsheet-safe is for files people open in a spreadsheet; keep the default for programs.
Rows are in one order (fecha instant, then id), so a day's data gives one sha256 on every path.
A day older than retentionDays that has an export is not re-exported (exit 4) unless --force;
a re-export with fewer rows than the export it replaces is done, with a warning.

Examples:
  trace export                                   today so far
  trace export --date 2026-11-22 --json          one day; print its manifest
  trace export --from 2026-11-01 --to 2026-11-07 backfill a week
  trace export --date 2026-11-22 --out - | head  the CSV on stdout, nothing uploaded
  trace export --date 2026-11-22 --engine native a big day, through DynamoDB's export
  trace export --date 2026-10-01 --force         replace an old day's export with what is left
  trace export --date 2026-11-22 --out day.csv --spreadsheet-safe
                                                 a file to open in Excel, formulas defused`,
    )
    .action(
      action<ExportRawRequest>(async (ctx, options) => {
        const { runExport } = await import("../core/export/operations");
        const result = await runExport(
          {
            clients: () => ctx.clients(),
            env: () => ctx.environment(),
            reporter: ctx.reporter,
            signal: ctx.signal,
            stdout: process.stdout,
            stdoutTaken: Boolean(ctx.globals.json),
          },
          options,
        );
        const summary = () => renderSummary(result, ctx.environment().timeZone);
        // With the CSV on stdout, the summary goes to stderr.
        if (result.plan.destination === "stdout") ctx.reporter.info(summary());
        else ctx.output.result(result.manifests.length === 1 && !options.from ? result.manifests[0] : result.manifests, summary);
      }),
    );
}

function renderSummary({ plan, table, manifests, durationMs }: ExportResult, timeZone: string): string {
  const dryRun = plan.destination === "none";
  const rows = renderTable(
    ["date", "rows", "bytes", "complete", dryRun ? "would write" : "written to"],
    manifests.map((m) => [
      m.date,
      m.rows.toLocaleString("en-US"),
      m.bytes === null ? "-" : formatBytes(m.bytes),
      m.complete ? "yes" : "so far",
      m.location ?? `s3://…/exports/${m.table}/dt=${m.date}/`,
    ]),
  );
  const first = manifests[0];
  const read =
    first?.readPath === "query"
      ? `queried the day index: read ${(first?.itemsRead ?? 0).toLocaleString("en-US")} items`
      : first?.readPath === "native"
        ? `read ${(first?.itemsRead ?? 0).toLocaleString("en-US")} items from DynamoDB's export in ${first.segments} part(s)`
        : `scanned ${(first?.scannedCount ?? 0).toLocaleString("en-US")} items with ${plan.segments} segment(s)`;
  const unreadable =
    first && first.unreadableFecha > 0 ? `; ${first.unreadableFecha} record(s) with an unreadable fecha (see the warning)` : "";
  const mismatch =
    first && first.dayMismatch > 0 ? `; ${first.dayMismatch} record(s) whose dia disagrees with fecha (see the warning)` : "";
  return `${rows}\n${dryRun ? "dry run, nothing written; " : ""}${manifests.length} day(s) of ${table} (${timeZone}) in ${formatDuration(durationMs)}; ${read}${unreadable}${mismatch}`;
}
