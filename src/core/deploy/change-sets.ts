/**
 * Change sets: create one (CREATE for a new stack, UPDATE otherwise), wait until it is ready,
 * read its changes as rows, delete it. "No changes" is an answer, not an error.
 */
import {
  type Capability,
  type Change,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  type Parameter,
  type ResourceToImport,
  type Tag,
} from "@aws-sdk/client-cloudformation";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import { sleep } from "../sleep";
import { type Backoff, type CloudFormation, DEFAULT_BACKOFF, nextDelay } from "./stack-state";
import { DATA_BEARING_TYPES, type TemplateResource } from "./templates";

export interface ChangeRow {
  action: string;
  logicalId: string;
  physicalId: string | undefined;
  type: string;
  /** "True", "False", "Conditional", or undefined when not applicable (Add, Remove). */
  replacement: string | undefined;
  dataBearing: boolean;
  /** A replacement, or the removal of a data-bearing resource: shown in red with a warning. */
  dangerous: boolean;
  /** For parameter rows: "old → new". */
  detail?: string;
  /** The properties whose change causes the replacement (from the service's details, or the template diff). */
  causes?: string[];
  /** Who said it is a replacement: the service's change set, or trace's template diff (the emulator says nothing). */
  replacementFrom?: "service" | "template";
}

/** A stack parameter whose value a deploy changes. */
export interface ParameterChange {
  name: string;
  old: string;
  new: string;
}

/** The parameters whose value changes (masked NoEcho values cannot be compared and are left out). */
export function parameterChanges(current: readonly Parameter[] | undefined, next: readonly Parameter[]): ParameterChange[] {
  const before = new Map((current ?? []).map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? ""]));
  return next.flatMap((p) => {
    const name = p.ParameterKey ?? "";
    const old = before.get(name);
    const value = p.ParameterValue ?? "";
    if (old === undefined || old === value || old === "****") return [];
    return [{ name, old, new: value }];
  });
}

/**
 * Rows for the stack parameters whose value changes (type "Parameter"). CloudFormation's own
 * change set lists the resources a parameter reaches; this says which value moved, and moto's
 * change sets (which compare templates only) would otherwise show nothing for it.
 */
export function parameterChangeRows(current: readonly Parameter[] | undefined, next: readonly Parameter[]): ChangeRow[] {
  return parameterChanges(current, next).map((p) => ({
    action: "Modify",
    logicalId: p.name,
    physicalId: undefined,
    type: "Parameter",
    replacement: undefined,
    dataBearing: false,
    dangerous: false,
    detail: `${p.old || '""'} → ${p.new || '""'}`,
  }));
}

export interface ChangeSetRequest {
  stackName: string;
  type: "CREATE" | "UPDATE" | "IMPORT";
  /** IMPORT: the existing resources to bring into the stack. */
  resourcesToImport?: ResourceToImport[];
  templateBody?: string;
  templateUrl?: string;
  parameters: Parameter[];
  tags: Tag[];
}

export type ChangeSetOutcome =
  | { kind: "changes"; id: string; stackId: string; changes: ChangeRow[] }
  | { kind: "no-changes"; reason: string };

export const CAPABILITIES: Capability[] = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"];

// Real CloudFormation fails the change set with this reason; some emulators refuse the request instead.
const NO_CHANGES = /didn't contain changes|no updates are to be performed|no changes/i;

/** One row per resource change; `retained` lists logical ids with DeletionPolicy Retain. */
export function changeRows(changes: readonly Change[], resources: readonly TemplateResource[] = []): ChangeRow[] {
  const retained = new Set(resources.filter((r) => r.deletionPolicy === "Retain").map((r) => r.logicalId));
  return changes.flatMap((change) => {
    const rc = change.ResourceChange;
    if (!rc) return [];
    const type = rc.ResourceType ?? "";
    const action = rc.Action ?? "";
    // A version is published by replacing its resource; the old one is retained (rollback's target).
    const publishes = type === "AWS::Lambda::Version";
    const dataBearing = !publishes && (DATA_BEARING_TYPES.has(type) || retained.has(rc.LogicalResourceId ?? ""));
    const replacement = action === "Modify" ? rc.Replacement : undefined;
    const dangerous = !publishes && (replacement === "True" || replacement === "Conditional" || (action === "Remove" && dataBearing));
    // Details name the properties that force a new resource (RequiresRecreation Always or Conditionally).
    const causes = [
      ...new Set(
        (rc.Details ?? [])
          .filter((d) => d.Target?.Attribute === "Properties" && d.Target.RequiresRecreation && d.Target.RequiresRecreation !== "Never")
          .map((d) => d.Target?.Name ?? "")
          .filter((name) => name !== ""),
      ),
    ];
    return [
      {
        action,
        logicalId: rc.LogicalResourceId ?? "",
        physicalId: rc.PhysicalResourceId,
        type,
        replacement,
        dataBearing,
        dangerous,
        ...(causes.length > 0 ? { causes } : {}),
        ...(replacement !== undefined ? { replacementFrom: "service" as const } : {}),
      },
    ];
  });
}

/** Rows for a stack that does not exist yet: every resource of the template is added. */
export function changeRowsFromTemplate(resources: readonly TemplateResource[]): ChangeRow[] {
  return resources.map((r) => ({
    action: "Add",
    logicalId: r.logicalId,
    physicalId: undefined,
    type: r.type,
    replacement: undefined,
    dataBearing: r.type !== "AWS::Lambda::Version" && (DATA_BEARING_TYPES.has(r.type) || r.deletionPolicy === "Retain"),
    dangerous: false,
  }));
}

async function describeAll(
  cf: CloudFormation,
  id: string,
  signal?: AbortSignal,
): Promise<{ first: DescribeChangeSetCommandOutput; changes: Change[] }> {
  let token: string | undefined;
  let first: DescribeChangeSetCommandOutput | undefined;
  const changes: Change[] = [];
  do {
    const page = await cf.send(new DescribeChangeSetCommand({ ChangeSetName: id, NextToken: token }), { abortSignal: signal });
    first ??= page;
    changes.push(...(page.Changes ?? []));
    token = page.NextToken;
  } while (token);
  return { first: first as DescribeChangeSetCommandOutput, changes };
}

/** Creates a change set and waits for it; returns its changes, or "no-changes" (after deleting it). */
export async function createChangeSet(
  cf: CloudFormation,
  request: ChangeSetRequest,
  resources: readonly TemplateResource[],
  options: { signal?: AbortSignal; backoff?: Backoff; now?: () => Date } = {},
): Promise<ChangeSetOutcome> {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const name = `trace-${(options.now?.() ?? new Date()).toISOString().replace(/[-:.TZ]/g, "")}`;
  let id: string;
  let stackId: string;
  try {
    const created = await cf.send(
      new CreateChangeSetCommand({
        StackName: request.stackName,
        ChangeSetName: name,
        ChangeSetType: request.type,
        TemplateBody: request.templateBody,
        TemplateURL: request.templateUrl,
        Parameters: request.parameters,
        Tags: request.tags,
        Capabilities: CAPABILITIES,
        Description: "created by trace",
        ...(request.resourcesToImport ? { ResourcesToImport: request.resourcesToImport } : {}),
      }),
      { abortSignal: options.signal },
    );
    id = created.Id ?? name;
    stackId = created.StackId ?? request.stackName;
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === "ValidationError" && NO_CHANGES.test(e.message ?? "")) return { kind: "no-changes", reason: e.message ?? "" };
    if (e.name === "ValidationError") {
      throw new TraceError(
        ErrorCode.usage,
        `stack ${request.stackName}: CloudFormation rejected the template or its parameters: ${e.message}`,
        {
          hint: "fix the template (run cfn-lint on it) or the config value that feeds the parameter",
          cause: error,
        },
      );
    }
    throw toTraceError(error, `change set for ${request.stackName}`);
  }
  let delay = backoff.initialMs;
  for (;;) {
    let described: Awaited<ReturnType<typeof describeAll>>;
    try {
      described = await describeAll(cf, id, options.signal);
    } catch (error) {
      throw toTraceError(error, `change set ${name} of ${request.stackName}`);
    }
    const status = described.first.Status;
    if (status === "CREATE_COMPLETE") return { kind: "changes", id, stackId, changes: changeRows(described.changes, resources) };
    if (status === "FAILED") {
      const reason = described.first.StatusReason ?? "no reason given";
      await deleteChangeSet(cf, id, request.type === "UPDATE" ? undefined : stackId);
      if (NO_CHANGES.test(reason)) return { kind: "no-changes", reason };
      throw new TraceError(ErrorCode.failed, `stack ${request.stackName}: the change set failed: ${reason}`, {
        hint: "fix the template or the parameter it names, then deploy again",
      });
    }
    await sleep(delay, options.signal);
    delay = nextDelay(delay, backoff);
  }
}

/**
 * Deletes a change set that will not be executed. For a CREATE change set, the stack it created
 * (empty, REVIEW_IN_PROGRESS) goes too, so a preview leaves nothing behind. Best effort.
 */
export async function deleteChangeSet(cf: CloudFormation, id: string, reviewStackId?: string): Promise<void> {
  try {
    await cf.send(new DeleteChangeSetCommand({ ChangeSetName: id }));
    if (reviewStackId) await cf.send(new DeleteStackCommand({ StackName: reviewStackId }));
  } catch {
    // Leaving an unexecuted change set behind is harmless; the next deploy makes a new one.
  }
}
