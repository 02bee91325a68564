import { type Command, Option } from "commander";
import type { ArchiveRestoreResult, ArchiveSettings } from "../core/archive/operations";
import type { RedriveReport } from "../core/archive/redrive-queues";
import { ExitCode } from "../core/errors";
import { parseTimeWindow } from "../core/time-bounds";
import { action, type CommandContext } from "../ui/context";
import { renderTable } from "../ui/output";

interface CommonOptions {
  table: string;
  bucket?: string;
  kmsKey?: string;
  key?: string[];
  since?: string;
  until?: string;
  kind?: "ttl" | "user";
}

interface RestoreFlags extends CommonOptions {
  toTable?: string;
  version?: string;
  versionId?: string;
  dryRun?: boolean;
  force?: boolean;
  keepTtl?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function common(command: Command, keyHelp: string): Command {
  return command
    .requiredOption(
      "--table <name>",
      "table whose deletions were archived (physical name; a seed name such as TRAZABILIDAD gets the environment's prefix)",
    )
    .option("--key <name=value>", keyHelp, collect)
    .option("--bucket <name>", "data bucket (default: DataBucketName of the base stack)")
    .option("--kms-key <arn>", "data key (default: DataKeyArn); reads need only kms:Decrypt on it, so it is accepted but not required");
}

function range(command: Command, verb: string): Command {
  return command
    .option("--since <time>", `${verb} deleted at or after this date (00:00 UTC) or ISO-8601 date-time (no offset: UTC)`)
    .option("--until <time>", `${verb} deleted before this date (00:00 UTC) or date-time (exclusive)`)
    .addOption(new Option("--kind <kind>", "only TTL expiries or only user deletions").choices(["ttl", "user"]));
}

function settings(ctx: CommandContext, options: CommonOptions): ArchiveSettings {
  return { clients: () => ctx.clients(), env: () => ctx.environment(), reporter: ctx.reporter, signal: ctx.signal, bucket: options.bucket };
}

async function parsed(options: CommonOptions) {
  const { parseKeyOption } = await import("../core/archive/object-key");
  if (options.kmsKey) (await import("../core/aws/kms-key")).checkKmsKeyShape(options.kmsKey);
  return { keys: (options.key ?? []).map(parseKeyOption), ...parseTimeWindow(options) };
}

const keysText = (keys: Record<string, string>) =>
  Object.entries(keys)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");

function restoreText(r: ArchiveRestoreResult): string {
  if (r.mode === "range") {
    return renderTable(
      ["restored", "skipped (live)", "failed", "ttl refreshed", "items"],
      [[String(r.restored), String(r.skippedLive), String(r.failed), String(r.ttlRefreshed), String(r.items)]],
    );
  }
  const what = {
    restored: "restored",
    overwritten: "restored (overwrote the live item)",
    "would-restore": "would restore",
    "would-overwrite": "would overwrite the live item with",
    "would-refuse-live": "would refuse (a live item exists; --force overwrites) to restore",
  }[r.action];
  const lines = [
    `${what} ${keysText(r.keys)} into ${r.toTable} (version ${r.versionId}, ${r.deletionKind ?? "?"} deletion at ${r.deletedAt})`,
  ];
  if (r.ttl?.refreshed) lines.push(`TTL ${r.ttl.attribute} had passed (${r.ttl.archived}); fresh TTL ${r.ttl.refreshed}`);
  else if (r.ttl)
    lines.push(`TTL ${r.ttl.attribute} had passed (${r.ttl.archived}) and was kept (--keep-ttl): DynamoDB may delete it again soon`);
  return lines.join("\n");
}

export function registerArchive(program: Command): void {
  const archive = program
    .command("archive")
    .description("list, restore or purge archived deleted items")
    .addHelpText(
      "after",
      `
Exit code 3 when nothing matches (list), or nothing is archived for the item (restore, purge).
Examples:
  trace archive list --table TRAZABILIDAD --since 2026-11-01
  trace archive restore --table TRAZABILIDAD --key id=A-1 --dry-run
  trace archive restore --table TRAZABILIDAD --since 2026-11-20 --until 2026-11-21
  trace archive purge --table Configuration --key key=CACHE_TTL_SEC
  trace archive redrive`,
    );

  registerArchiveList(archive);
  registerArchiveRestore(archive);
  registerArchivePurge(archive);
  registerArchiveRedrive(archive);
}

function registerArchiveList(archive: Command): void {
  range(
    common(
      archive.command("list").description("archived versions with deletedAt, kind and keys"),
      "only this item (repeat per key attribute)",
    ),
    "only those",
  ).action(
    action<CommonOptions>(async (ctx, options) => {
      const { archiveList } = await import("../core/archive/operations");
      const p = await parsed(options);
      const result = await archiveList(settings(ctx, options), { table: options.table, ...p, kind: options.kind });
      // One rule for every read (audit show, audit keys, archive list): nothing matched is exit 3.
      if (result.count === 0) ctx.reporter.info(`no archived versions in s3://${result.bucket}/archive/${result.table}/ match`);
      ctx.output.result(result, (r) =>
        r.count === 0
          ? undefined
          : renderTable(
              ["deletedAt", "kind", "keys", "version"],
              r.versions.map((v) => [v.deletedAt, v.deletionKind ?? "?", keysText(v.keys), v.versionId]),
            ),
      );
      return result.count === 0 ? ExitCode.notFound : ExitCode.ok;
    }),
  );
}

function registerArchiveRestore(archive: Command): void {
  range(
    common(
      archive
        .command("restore")
        .description("put archived items back: one item (--key) or every item deleted in a range (--since/--until)"),
      "the item to restore (every key attribute)",
    ),
    "restore items",
  )
    .option("--version <id>", "the version to restore (version id or event id from `archive list`; default: the latest)")
    .option("--version-id <id>", "same as --version")
    .option("--to-table <name>", "restore into this table instead")
    .option("--dry-run", "show what would happen; change nothing")
    .option("--force", "overwrite a live item")
    .option("--keep-ttl", "keep an expired TTL as archived (default: a fresh one, now + retention days)")
    .action(
      action<RestoreFlags>(async (ctx, options) => {
        const { archiveRestore } = await import("../core/archive/operations");
        const p = await parsed(options);
        const result = await archiveRestore(settings(ctx, options), {
          table: options.table,
          toTable: options.toTable,
          ...p,
          kind: options.kind,
          versionId: options.version ?? options.versionId,
          dryRun: Boolean(options.dryRun),
          force: Boolean(options.force),
          keepTtl: Boolean(options.keepTtl),
        });
        ctx.output.result(result, restoreText);
        if (result.mode === "range" && result.failed > 0) {
          for (const f of result.failures.slice(0, 10)) ctx.reporter.warn(`${keysText(f.keys)} (${f.versionId}): ${f.error}`);
          return ExitCode.failed;
        }
        return ExitCode.ok;
      }),
    );
}

function registerArchivePurge(archive: Command): void {
  common(
    archive.command("purge").description("permanently delete every archived version of one item (all object versions)"),
    "the item to purge (every key attribute)",
  ).action(
    action<CommonOptions>(async (ctx, options) => {
      const { archivePurge } = await import("../core/archive/operations");
      const { parseKeyOption } = await import("../core/archive/object-key");
      const result = await archivePurge(settings(ctx, options), {
        table: options.table,
        keys: (options.key ?? []).map(parseKeyOption),
      });
      ctx.output.result(
        result,
        (r) =>
          `purged ${keysText(r.keys)} from the archive of ${r.table}: ${r.archivedVersions} archived deletion(s), ${r.objectVersions} object version(s), ${r.deleteMarkers} delete marker(s)`,
      );
    }),
  );
}

/** "21 h 03 min" left, or how long ago the stream dropped it. */
function timeLeft(ms: number | undefined): string {
  if (ms === undefined) return "-";
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const text = `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  return ms >= 0 ? text : `past, ${text} ago`;
}

function redriveText(r: RedriveReport): string {
  const rows = r.messages.flatMap((m) => {
    if (m.records.length > 0) {
      return m.records.map((rec) => [
        m.queue,
        rec.table,
        keysText(rec.keys),
        rec.status === "failed" ? `failed: ${rec.error ?? "?"}` : rec.status,
        m.kind === "pointer" ? timeLeft(rec.timeLeftMs) : "-",
      ]);
    }
    const where = m.pointer ? `${m.pointer.shardId} ${m.pointer.startSequenceNumber}..${m.pointer.endSequenceNumber}` : m.messageId;
    const what = m.lost ? `lost: ${m.lost.reason}` : `not recovered: ${m.error ?? "nothing to archive"}`;
    return [[m.queue, "?", where, what, timeLeft(m.lost?.timeLeftMs)]];
  });
  const summary = `archived ${r.archived}, already archived ${r.alreadyArchived}, failed ${r.failed}, lost ${r.lost}, unrecognised ${r.unknown}`;
  if (rows.length === 0) return `nothing to redrive: the dead-letter queues are empty\n${summary}`;
  return `${renderTable(["queue", "table", "keys", "result", "stream keeps it"], rows)}\n${summary}`;
}

function registerArchiveRedrive(archive: Command): void {
  archive
    .command("redrive")
    .description("archive the deletions the dead-letter queues name: pipe pointers from the stream (24 h), whole events as they are")
    .option("--bucket <name>", "data bucket (default: DataBucketName of the base stack)")
    .option("--pipe-queue <url>", "the pipes' dead-letter queue (default: PipeDeadLetterQueueUrl of the archive stack)")
    .option("--archive-queue <url>", "the archive dead-letter queue (default: ArchiveDeadLetterQueueUrl of the archive stack)")
    .addHelpText(
      "after",
      `
A pipe's dead letter is a pointer (shard, sequence numbers): its records are read back from the
table's stream, which keeps them 24 hours after they were written; past that they are reported
lost and left in the queue. The rule's and the archiver's dead letters are whole events (large
items as a claim check) and keep 14 days. Archiving is idempotent: a second run changes nothing.
Exit 1 when something is left (lost, failed or unrecognised).
Example:
  trace archive redrive --json`,
    )
    .action(
      action<{ bucket?: string; pipeQueue?: string; archiveQueue?: string }>(async (ctx, options) => {
        const { archiveRedrive } = await import("../core/archive/operations");
        const progress = ctx.reporter.progress("redriving the archive's dead letters");
        let seen = 0;
        const result = await archiveRedrive(
          {
            clients: () => ctx.clients(),
            env: () => ctx.environment(),
            reporter: ctx.reporter,
            signal: ctx.signal,
            bucket: options.bucket,
            pipeQueue: options.pipeQueue,
            archiveQueue: options.archiveQueue,
          },
          () => progress.update(`redriving the archive's dead letters: ${++seen} message(s)`),
        ).finally(() => progress.stop());
        ctx.output.result(result, redriveText);
        return result.failed + result.lost + result.unknown > 0 ? ExitCode.failed : ExitCode.ok;
      }),
    );
}
