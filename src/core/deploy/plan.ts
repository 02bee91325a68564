/**
 * The plan `trace diff --json` prints: a stable, documented shape (docs/deploy.md, "The plan"),
 * one object per stack with its resource changes, its replacements and its parameter changes.
 * Fields are only ever added; `schemaVersion` changes if one is removed or changes meaning.
 */
import type { DeployResult, StackResult } from "./deploy-types";

export const PLAN_SCHEMA_VERSION = 1;

export interface PlanChange {
  /** Add, Modify, Remove (CloudFormation's actions). */
  action: string;
  logicalId: string;
  physicalId: string | null;
  type: string;
  /** "True", "False", "Conditional", or null when not applicable (Add, Remove) or unknown. */
  replacement: string | null;
  /** Properties whose change causes the replacement. */
  causes: string[];
  /** A table, bucket, key or log group (or anything the template retains). */
  dataBearing: boolean;
  /** A data-losing change `trace deploy` refuses (no --allow-replacement for it). */
  blocked: boolean;
}

export interface PlanReplacement {
  logicalId: string;
  type: string;
  /** "True" or "Conditional"; "Remove" for a data-bearing resource that leaves the stack. */
  replacement: string;
  causes: string[];
  /** Where the replacement was read: the service's change set, or trace's template diff. */
  source: "service" | "template" | null;
  blocked: boolean;
}

export interface PlanStack {
  stack: string;
  stackName: string;
  /** create: the stack is new; update: it changes; none: no changes. */
  action: "create" | "update" | "none";
  changes: PlanChange[];
  replacements: PlanReplacement[];
  parameters: { name: string; old: string; new: string }[];
  /** Why the plan is approximate, when it is (e.g. a stack read from its template). */
  note: string | null;
}

export interface Plan {
  schemaVersion: number;
  environment: string;
  region: string;
  /** Whether any stack would change (`--exit-code` exits 2 when true). */
  changes: boolean;
  /** Whether a deploy would refuse a data-losing change. */
  blocked: boolean;
  stacks: PlanStack[];
}

function planStack(result: StackResult): PlanStack {
  const blockedIds = new Set(result.dataLoss.filter((d) => !d.allowed).map((d) => d.logicalId));
  const resources = result.changes.filter((c) => c.type !== "Parameter");
  const dataLoss = new Map(result.dataLoss.map((d) => [d.logicalId, d]));
  return {
    stack: result.stack,
    stackName: result.stackName,
    action: result.outcome === "would-create" ? "create" : result.outcome === "no-changes" ? "none" : "update",
    changes: resources.map((c) => ({
      action: c.action,
      logicalId: c.logicalId,
      physicalId: c.physicalId ?? null,
      type: c.type,
      replacement: c.replacement ?? null,
      causes: c.causes ?? [],
      dataBearing: c.dataBearing,
      blocked: blockedIds.has(c.logicalId),
    })),
    replacements: resources
      .filter((c) => c.replacement === "True" || c.replacement === "Conditional" || dataLoss.get(c.logicalId)?.action === "Remove")
      .map((c) => ({
        logicalId: c.logicalId,
        type: c.type,
        replacement: c.action === "Remove" ? "Remove" : (c.replacement as string),
        causes: c.causes ?? [],
        source: c.action === "Remove" ? null : (c.replacementFrom ?? null),
        blocked: blockedIds.has(c.logicalId),
      })),
    parameters: result.parameters.map((p) => ({ name: p.name, old: p.old, new: p.new })),
    note: result.note ?? null,
  };
}

/** The plan of a preview (`deploy` with `execute: false`). */
export function toPlan(result: DeployResult): Plan {
  const stacks = result.stacks.map(planStack);
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    environment: result.environment,
    region: result.region,
    changes: stacks.some((s) => s.action !== "none"),
    blocked: stacks.some((s) => s.changes.some((c) => c.blocked)),
    stacks,
  };
}
