// `trace health` for people: one screen, job by job, problems last and in red.
import chalk from "chalk";
import type { HealthReport, QueueHealth } from "../core/health/health";
import { formatBytes } from "./output";

const ago = (seconds: number | null) => {
  if (seconds === null) return "age unknown";
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
};
const time = (iso: string) => iso.replace("T", " ").slice(0, 16);

function queueLine(label: string, q: QueueHealth | null): string {
  if (!q) return `  ${label}: not found (stack not deployed)`;
  const count = q.depth + q.inFlight;
  const depth = count === 0 ? chalk.green("empty") : chalk.red(`${q.depth} visible, ${q.inFlight} in flight`);
  const age =
    q.oldestAgeSeconds === null ? (count > 0 ? ", oldest: no metric" : "") : `, oldest ${Math.round(q.oldestAgeSeconds / 60)} min`;
  const left = q.secondsLeft !== null && count > 0 ? `, under ${Math.floor(q.secondsLeft / 3600)} h left of the stream's 24 h` : "";
  return `  ${label} ${q.name}: ${depth}${age}${left}`;
}

function renderExport(r: HealthReport): string[] {
  const e = r.export;
  const lines = [
    chalk.bold(`Daily export`) +
      `  (${e.table ?? "table not found"}, ${e.exportHour}:00 ${e.timeZone}, late after ${e.lateAfterMinutes} min)`,
  ];
  if (e.lastRun) {
    const verdict =
      e.lastRun.verdict === "late" ? chalk.red("LATE") : e.lastRun.verdict === "on-time" ? chalk.green("landed") : e.lastRun.verdict;
    lines.push(`  last scheduled run: ${time(e.lastRun.scheduledAt)} UTC for ${e.lastRun.day}: ${verdict}`);
    for (const d of e.lastRun.days) {
      lines.push(
        d.present
          ? `    ${d.day}  ${d.rows} rows, ${formatBytes(d.bytes ?? 0)}, ${d.readPath}, ${d.complete ? "complete" : "day not over"}, landed ${ago(d.ageSeconds)}`
          : `    ${d.day}  no manifest`,
      );
    }
  }
  const today =
    e.today.state === "notYet"
      ? `due at ${time(e.today.scheduledAt)} UTC`
      : e.today.state === "due"
        ? `running or due (late after ${time(e.today.deadline)} UTC)`
        : "judged above";
  lines.push(`  today's run (${e.today.day}): ${today}`);
  lines.push(queueLine("dead-letter queue", e.queue));
  if (e.dayIndex) {
    const d = e.dayIndex;
    const state = d.readPath === "query" ? chalk.green("complete") : chalk.red("not shown complete");
    const lag = d.lagSeconds === null ? "no watermark" : `watermark ${ago(d.lagSeconds)}`;
    lines.push(`  day index: ${state} (${lag}; ${d.unstamped} unstamped, ${d.lateStamps} late stamps): ${d.reason}`);
  }
  if (e.nativeExecutions) {
    const shown = e.nativeExecutions.slice(0, 3).map((x) => `${x.name} ${x.status}`);
    lines.push(`  native export: ${shown.length > 0 ? shown.join(", ") : "no executions"}`);
  }
  return lines;
}

function renderConsumers(r: HealthReport): string[] {
  const lines = [chalk.bold("Audit trail")];
  const m = r.audit.mappings;
  lines.push(
    m === null
      ? "  stream mapping: unknown"
      : m.length === 0
        ? "  stream mapping: none"
        : `  stream mapping: ${m.map((x) => `${x.state}${x.lastProcessingResult ? ` (last: ${x.lastProcessingResult})` : ""}`).join(", ")}`,
  );
  lines.push(`  iterator age: ${r.audit.iteratorAgeSeconds === null ? "no metric" : `${r.audit.iteratorAgeSeconds} s`}`);
  const f = r.audit.failures;
  lines.push(
    `  failed batches kept: ${f === null ? "not checked" : f.objects === 0 ? chalk.green("none") : chalk.red(`${f.objects} under ${f.location} (trace audit redrive)`)}`,
  );
  lines.push(chalk.bold("Archive of deletions"));
  const pipes = r.archive.pipes;
  lines.push(
    `  pipes: ${pipes === null ? "unknown" : pipes.map((p) => `${p.name} ${p.state === "RUNNING" ? chalk.green(p.state) : p.state}`).join(", ")}`,
  );
  lines.push(queueLine("pipes' dead-letter queue", r.archive.pipeQueue));
  lines.push(queueLine("dead-letter queue", r.archive.queue));
  return lines;
}

export function renderHealth(r: HealthReport): string {
  const alarms = `${chalk.bold("Alarms")}  ${r.alarms.total ?? "?"} defined, ${r.alarms.inAlarm.length} in ALARM`;
  const verdict = r.healthy
    ? chalk.green(`healthy (${r.environment}, checked ${time(r.checkedAt)} UTC)`)
    : chalk.red(`UNHEALTHY (${r.environment}): ${r.problems.length} problem(s)`);
  return [
    ...renderExport(r),
    ...renderConsumers(r),
    alarms,
    ...r.alarms.inAlarm.map((a) => `  ${chalk.red(a.name)} since ${a.since ? time(a.since) : "?"}: ${a.reason}`),
    ...(r.notes.length > 0 ? ["", chalk.dim("Not checked here:"), ...r.notes.map((n) => chalk.dim(`  ${n}`))] : []),
    "",
    verdict,
    ...r.problems.map((p) => `  ${chalk.red("✗")} ${p.job}: ${p.cause}`),
  ].join("\n");
}
