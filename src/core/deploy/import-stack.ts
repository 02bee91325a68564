/**
 * A stack created over retained resources (retained.ts): an IMPORT change set brings them into a
 * new stack first, then the normal update adds the rest of the template. Only on AWS: the
 * emulator's CloudFormation treats an IMPORT change set as a creation and fails on the names.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { ErrorCode, TraceError } from "../errors";
import { type ChangeRow, createChangeSet } from "./change-sets";
import type { StackPreview } from "./deploy-types";
import { executeChangeSet } from "./execute";
import { stackTags } from "./parameters";
import { importTemplate, type RetainedResource } from "./retained";
import type { CreateStackArgs } from "./stack-apply";
import { parseTemplateDocument } from "./template-values";

/** Imports the retained resources into a new stack named `args.name`; returns the stack. */
export async function importRetained(args: CreateStackArgs, retained: readonly RetainedResource[]): Promise<Stack> {
  const { cf, env, id, name, template, parameters, reporter, signal } = args;
  const rows: ChangeRow[] = retained.map((r) => ({
    action: "Import",
    logicalId: r.logicalId,
    physicalId: Object.values(r.identifier)[0],
    type: r.type,
    replacement: undefined,
    dataBearing: true,
    dangerous: false,
    detail: `retained by a destroy: ${r.describe}`,
  }));
  const preview: StackPreview = {
    stack: id,
    stackName: name,
    changeSetType: "CREATE",
    changes: rows,
    note: "the stack's retained resources are imported first, then the stack is completed from its template",
  };
  args.showPreview(preview);
  const question = `Import ${retained.map((r) => r.describe).join(", ")} into the new stack ${name}, keeping their data?`;
  if (!(await reporter.confirm(question, { default: true }))) {
    throw new TraceError(ErrorCode.declined, `import into ${name} declined; nothing was created`, {
      hint: "to start without the old data instead, delete the retained resources first (their data goes with them)",
    });
  }
  const outcome = await createChangeSet(
    cf,
    {
      stackName: name,
      type: "IMPORT",
      templateBody: importTemplate(parseTemplateDocument(template.body), retained),
      parameters,
      tags: stackTags(env),
      resourcesToImport: retained.map((r) => ({ ResourceType: r.type, LogicalResourceId: r.logicalId, ResourceIdentifier: r.identifier })),
    },
    template.resources,
    { signal, backoff: args.backoff },
  );
  if (outcome.kind !== "changes")
    throw new TraceError(ErrorCode.failed, `${name}: the import change set found nothing to import: ${outcome.reason}`);
  const result = await executeChangeSet(cf, name, outcome.stackId, outcome.id, rows, {
    reporter,
    signal,
    backoff: args.backoff,
    onEvent: args.onEvent,
  });
  reporter.info(`${name}: ${result.stack?.StackStatus}: imported ${retained.map((r) => r.logicalId).join(", ")}`);
  return result.stack as Stack;
}
