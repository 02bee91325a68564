import type { Command } from "commander";
import type { IndexFlags, IndexSettings, IndexStatus } from "../core/export/stamp/operations";
import type { StamperRunResult } from "../core/export/stamp/run";
import { action, type CommandContext } from "../ui/context";
import { renderTable } from "../ui/output";

const flags = (command: Command) =>
  command
    .option("--table <name>", "the table (default: the traceability stack's TrazabilidadTableName output)")
    .option("--bucket <name>", "the data bucket holding the ledger (default: the base stack's DataBucketName output)");

function settings(ctx: CommandContext): IndexSettings {
  return { clients: () => ctx.clients(), env: () => ctx.environment(), reporter: ctx.reporter, signal: ctx.signal };
}

function renderStatus(s: IndexStatus): string {
  const rows: string[][] = [
    ["table", s.table],
    ["ledger", s.found ? s.ledger : `${s.ledger} (not written yet: the stamper has not run)`],
    ["dia-index", s.indexProblem ?? "ACTIVE"],
    ["watermark", s.watermark ? `${s.watermark} (${s.lagSeconds} s ago)` : "none"],
    [
      "coverage since",
      s.coverageSince ? `${s.coverageSince}${s.coverageRestartedBecause ? ` (restarted: ${s.coverageRestartedBecause})` : ""}` : "—",
    ],
    [
      "sweep",
      s.sweep
        ? s.sweep.finished
          ? `done ${s.sweep.finishedAt}: ${s.sweep.scanned} read, ${s.sweep.stamped} stamped`
          : `running: ${s.sweep.scanned} read`
        : "—",
    ],
    ["unstamped records", String(s.failures.length)],
  ];
  const days = renderTable(
    ["day", "an export now reads by", "because"],
    s.days.map((d) => [d.day, d.readPath, d.reason]),
  );
  const failures = s.failures.map((f) => `  ${f.day} ${f.key}: ${f.reason} (kept at ${f.kept})`).join("\n");
  const late = s.lateStamps
    .map((l) => `  ${l.day} ${l.key} stamped late at ${new Date(l.at).toISOString()}: export that day again`)
    .join("\n");
  return [
    renderTable(["", ""], rows),
    days,
    failures && `records that could not take their dia:\n${failures}`,
    late && `late stamps:\n${late}`,
  ]
    .filter(Boolean)
    .join("\n\n");
}

function renderRun(r: StamperRunResult): string {
  return renderTable(
    ["", ""],
    [
      ["records read", String(r.read)],
      ["stamped", `${r.stamped} (${r.superseded} superseded by a newer write)`],
      ["could not be stamped", `${r.failed} this run, ${r.failures} listed`],
      ["sweep", r.sweep.finished ? `done: ${r.sweep.scanned} read, ${r.sweep.stamped} stamped` : `running: ${r.sweep.scanned} read`],
      ["watermark", r.watermark ? `${r.watermark} (${r.lagSeconds} s behind)` : "none"],
      ...(r.reset ? [["new coverage epoch", r.reset]] : []),
      ...(r.retry ? [["stopped at a record to retry", r.retry]] : []),
    ],
  );
}

export function registerIndex(program: Command): void {
  const index = program
    .command("index")
    .description("the day index of TRAZABILIDAD: whether exports can trust it, and the stamper that keeps it complete");

  flags(index.command("status").description("the stamper's ledger, and which path an export of yesterday and today takes now"))
    .addHelpText("after", "\nExample:\n  trace index status --json")
    .action(
      action<IndexFlags>(async (ctx, options) => {
        const { indexStatus } = await import("../core/export/stamp/operations");
        const status = await indexStatus(settings(ctx), options);
        ctx.output.result(status, renderStatus);
      }),
    );

  flags(index.command("run").description("run the stamper once now (what the schedule does every minute), to the end of the stream"))
    .option("--kms-key <arn>", "key for the ledger objects (default: the base stack's DataKeyArn output)")
    .addHelpText("after", "\nExample:\n  trace --local index run")
    .action(
      action<IndexFlags>(async (ctx, options) => {
        const { indexRun } = await import("../core/export/stamp/operations");
        const progress = ctx.reporter.progress("stamping dia on new records");
        const result = await indexRun(settings(ctx), options).finally(() => progress.stop());
        ctx.output.result(result, renderRun);
      }),
    );
}
