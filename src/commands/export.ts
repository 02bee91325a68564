import type { Command } from "commander";
import { usageError } from "../core/errors";
import { action } from "../ui/context";
import { formatBytes, formatDuration, renderTable } from "../ui/output";

interface ExportOptions {
  date?: string;
  from?: string;
  to?: string;
  segments?: string;
  out?: string;
  dryRun?: boolean;
  table?: string;
  bucket?: string;
  kmsKey?: string;
  spreadsheetSafe?: boolean;
  engine?: string;
}

function parseSegments(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64)
    throw usageError(`--segments ${JSON.stringify(text)} is not an integer from 1 to 64`, "pass e.g. --segments 4");
  return n;
}

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
      "--engine <scan|query>",
      "how to read: query the day index (dia-index), or scan the table (default: query when the index exists)",
    )
    .option("--table <name>", "table to export (default: the traceability stack's output)")
    .option("--bucket <name>", "bucket to write to (default: the base stack's output)")
    .option("--kms-key <arn>", "KMS key to encrypt with (default: the base stack's output)")
    .option(
      "--spreadsheet-safe",
      "escape string cells that Excel/LibreOffice would run as a formula (=, +, -, @, tab, CR first) with a leading ' (default: the environment's spreadsheetSafe, else verbatim)",
    )
    .option("--no-spreadsheet-safe", "keep every value verbatim even if the environment sets spreadsheetSafe")
    .addHelpText(
      "after",
      `
A record belongs to a day when its fecha, seen in the business time zone, falls on it.
With the day index (dia-index on the writer-set dia), only the day's partition and its neighbours
are read; --engine scan reads the whole table (for records written without dia).
Objects: s3://<bucket>/exports/<table>/dt=YYYY-MM-DD/<table>_YYYY-MM-DD.csv and _manifest.json.
The manifest is written last and names the CSV's version (csvVersionId): read it first, then
that version. --out <file> writes <file> and <file>.manifest.json, put in place together.
--spreadsheet-safe is for files people open in a spreadsheet; keep the default for programs.

Examples:
  trace export                                   today so far
  trace export --date 2026-11-22 --json          one day; print its manifest
  trace export --from 2026-11-01 --to 2026-11-07 backfill a week
  trace export --date 2026-11-22 --out - | head  the CSV on stdout, nothing uploaded
  trace export --date 2026-11-22 --out day.csv --spreadsheet-safe
                                                 a file to open in Excel, formulas defused`,
    )
    .action(
      action<ExportOptions>(async (ctx, options) => {
        const { parseDay, daysBetween, today } = await import("../core/export/day-window");
        // Validate everything about the input before touching AWS: bad input writes nothing.
        if (options.date && (options.from || options.to))
          throw usageError("--date cannot be combined with --from/--to", "pass either --date or --from and --to");
        if (Boolean(options.from) !== Boolean(options.to))
          throw usageError("--from and --to go together", "pass both, e.g. --from 2026-11-01 --to 2026-11-07");
        if (options.dryRun && options.out) throw usageError("--dry-run writes nothing, so --out has no use with it", "drop one of them");
        if (options.out === "-" && ctx.globals.json)
          throw usageError("--out - puts the CSV on stdout, so --json cannot", "drop --json, or write the CSV to a file");
        const env = ctx.environment();
        let days: string[];
        if (options.from && options.to) {
          const from = parseDay(options.from, "--from");
          const to = parseDay(options.to, "--to");
          if (from > to) throw usageError(`--from ${from} is after --to ${to}`, "swap them: --from is the first day, --to the last");
          days = daysBetween(from, to);
        } else {
          days = [options.date ? parseDay(options.date) : today(env.timeZone)];
        }
        if (options.out && days.length > 1)
          throw usageError(`--out writes one day; --from/--to asks for ${days.length}`, "use --date with --out");
        const segments = parseSegments(options.segments, env.exportSegments);
        if (options.engine !== undefined && options.engine !== "scan" && options.engine !== "query")
          throw usageError(`--engine ${JSON.stringify(options.engine)} is not a read path`, "pass --engine scan or --engine query");
        const engine = options.engine as "scan" | "query" | undefined;

        const { resolveOutputs } = await import("../core/resources");
        const { exportDays } = await import("../core/export/export-days");
        const clients = await ctx.clients();
        const toS3 = !options.out && !options.dryRun;
        // Only an S3 export needs the bucket and key; a local or dry run must not require the base stack.
        const names = await resolveOutputs(
          clients.cloudformation,
          env,
          toS3 ? (["TrazabilidadTableName", "DataBucketName", "DataKeyArn"] as const) : (["TrazabilidadTableName"] as const),
          { TrazabilidadTableName: options.table, DataBucketName: options.bucket, DataKeyArn: options.kmsKey },
          { TrazabilidadTableName: "--table", DataBucketName: "--bucket", DataKeyArn: "--kms-key" },
        );
        const target = options.dryRun
          ? ({ kind: "none" } as const)
          : options.out === "-"
            ? ({ kind: "stream", stream: process.stdout } as const)
            : options.out
              ? ({ kind: "file", path: options.out } as const)
              : ({ kind: "s3", bucket: names.DataBucketName, kmsKeyId: names.DataKeyArn } as const);
        const started = performance.now();
        const manifests = await exportDays(
          { dynamodb: clients.dynamodb, s3: toS3 ? clients.s3 : undefined },
          {
            table: names.TrazabilidadTableName,
            days,
            timeZone: env.timeZone,
            segments,
            target,
            spreadsheetSafe: options.spreadsheetSafe ?? env.spreadsheetSafe,
            engine,
          },
          ctx.reporter,
          ctx.signal,
        );
        const duration = formatDuration(performance.now() - started);
        const summary = () => {
          const table = renderTable(
            ["date", "rows", "bytes", "complete", options.dryRun ? "would write" : "written to"],
            manifests.map((m) => [
              m.date,
              m.rows.toLocaleString("en-US"),
              m.bytes === null ? "-" : formatBytes(m.bytes),
              m.complete ? "yes" : "so far",
              m.location ?? `s3://…/exports/${m.table}/dt=${m.date}/`,
            ]),
          );
          const first = manifests[0];
          const unreadable =
            first && first.unreadableFecha > 0 ? `; ${first.unreadableFecha} record(s) with an unreadable fecha (see the warning)` : "";
          return `${table}\n${options.dryRun ? "dry run, nothing written; " : ""}${manifests.length} day(s) of ${names.TrazabilidadTableName} (${env.timeZone}) in ${duration}; ${first?.readPath === "query" ? `queried the day index: read ${(first?.itemsRead ?? 0).toLocaleString("en-US")} items` : `scanned ${(first?.scannedCount ?? 0).toLocaleString("en-US")} items with ${segments} segment(s)`}${unreadable}${first && first.dayMismatch > 0 ? `; ${first.dayMismatch} record(s) whose dia disagrees with fecha (see the warning)` : ""}`;
        };
        if (options.out === "-") {
          ctx.reporter.info(summary());
          return;
        }
        ctx.output.result(manifests.length === 1 && !options.from ? manifests[0] : manifests, summary);
      }),
    );
}
