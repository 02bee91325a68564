// Rendering of change sets, stack events, outputs and statuses for deploy, diff, status and destroy.
import chalk from "chalk";
import type { AliasState } from "../core/deploy/aliases";
import type { Artifact } from "../core/deploy/artifacts";
import type { StackPreview, StackResult } from "../core/deploy/deploy";
import type { DeployEvent } from "../core/deploy/events";
import type { AliasStatusRow, RollbackResult, VersionInfo } from "../core/deploy/rollback";
import { renderTable } from "./output";

const actionColour = (action: string) =>
  action === "Add" ? chalk.green(action) : action === "Remove" ? chalk.red(action) : action === "Modify" ? chalk.yellow(action) : action;

/** The change-set table: action, logical id, type, replacement; destructive rows in red. */
export function renderChanges(preview: Pick<StackPreview, "stackName" | "changeSetType" | "changes" | "note">): string {
  const title = chalk.bold(`${preview.stackName} (${preview.changeSetType === "CREATE" ? "new stack" : "update"})`);
  const rows = preview.changes.map((c) => {
    const detail =
      c.detail ??
      (c.causes?.length ? `caused by ${c.causes.join(", ")}${c.replacementFrom === "template" ? " (from the template diff)" : ""}` : "");
    const cells = [c.action, c.logicalId, c.type, c.replacement ?? "", detail];
    return c.dangerous ? cells.map((cell) => chalk.red(cell)) : [actionColour(c.action), c.logicalId, c.type, c.replacement ?? "", detail];
  });
  if (rows.length === 0) rows.push(["", chalk.dim("(no resource changes: outputs, tags or metadata only)"), "", "", ""]);
  const note = preview.note ? `\n${chalk.dim(`(${preview.note})`)}` : "";
  return `${title}\n${renderTable(["ACTION", "LOGICAL ID", "TYPE", "REPLACEMENT", "DETAIL"], rows)}${note}`;
}

const statusColour = (status: string) =>
  status.endsWith("_FAILED") || status.includes("ROLLBACK")
    ? chalk.red(status)
    : status.endsWith("_COMPLETE")
      ? chalk.green(status)
      : status === "NOT_DEPLOYED"
        ? chalk.dim(status)
        : chalk.yellow(status);

/** One line per stack event: time, status, logical id, reason. */
export function renderEvent(stackName: string, e: DeployEvent): string {
  const reason = e.reason ? `  ${e.status.endsWith("_FAILED") ? chalk.red(e.reason) : chalk.dim(e.reason)}` : "";
  return `  ${chalk.dim(e.time.slice(11, 19))}  ${statusColour(e.status)}  ${e.logicalId === stackName ? chalk.bold(e.logicalId) : e.logicalId}${reason}`;
}

export function renderStatusWord(status: string): string {
  return statusColour(status);
}

/** Outputs of each stack as KEY  VALUE lines under the stack name. */
export function renderOutputs(stacks: readonly Pick<StackResult, "stackName" | "outputs">[]): string {
  const blocks = stacks
    .filter((s) => Object.keys(s.outputs).length > 0)
    .map(
      (s) =>
        `${chalk.bold(s.stackName)}\n${renderTable(
          ["OUTPUT", "VALUE"],
          Object.entries(s.outputs).sort(([a], [b]) => a.localeCompare(b)),
        )}`,
    );
  return blocks.join("\n\n");
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** One line per Lambda bundle of a deploy or diff: rebuilt or reused, and its sizes. */
export function renderBundled(artifacts: readonly Artifact[]): string[] {
  return artifacts.map(
    (a) =>
      `${a.cached ? "unchanged" : "bundled"} ${a.name}: index.mjs ${kib(a.bundleBytes)}, source map ${kib(a.mapBytes)}, zip ${kib(a.zipBytes)}`,
  );
}

/** One line per alias a deploy moved, created or kept on a rolled-back version. */
export function renderAliasChanges(aliases: readonly AliasState[]): string[] {
  return aliases
    .filter((a) => a.previous !== undefined || a.kept !== undefined || a.repaired !== undefined)
    .map((a) =>
      a.kept
        ? `${a.functionName}: alias ${a.alias} stays on version ${a.version}: ${a.kept}`
        : `${a.functionName}: alias ${a.alias} → version ${a.version}${a.previous ? ` (was ${a.previous})` : ""}`,
    );
}

function describeVersion(v: VersionInfo): string {
  const facts = [v.lastModified && `published ${v.lastModified.replace("T", " ").slice(0, 19)}`, v.revision && `revision ${v.revision}`];
  const known = facts.filter((f): f is string => Boolean(f));
  return `version ${v.version}${known.length > 0 ? ` (${known.join(", ")})` : ""}`;
}

/** What a rollback did, and how to undo it. */
export function renderRollback(r: RollbackResult): string {
  return [
    `${r.functionName}: alias ${r.alias} moved from ${describeVersion(r.from)}`,
    `  to ${describeVersion(r.to)}`,
    chalk.dim(`undo: trace rollback ${r.functionName} --to ${r.from.version}`),
  ].join("\n");
}

/** The aliases table of `trace status`. */
export function renderAliases(rows: readonly AliasStatusRow[]): string {
  return renderTable(
    ["FUNCTION", "ALIAS", "VERSION", "NEWEST", "NOTE"],
    rows.map((r) => [
      r.functionName,
      r.alias,
      r.version || chalk.dim("(none)"),
      r.latest,
      r.rolledBackFrom ? chalk.yellow(`rolled back from ${r.rolledBackFrom}`) : r.version && r.version !== r.latest ? "not the newest" : "",
    ]),
  );
}
