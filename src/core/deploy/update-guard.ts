/**
 * Before an update is shown or applied: explain the replacements the service left unexplained (from
 * the deployed template against the new one) and find the changes that would lose data.
 */
import { GetTemplateCommand, type Parameter, type Stack } from "@aws-sdk/client-cloudformation";
import { toTraceError } from "../errors";
import type { ChangeRow } from "./change-sets";
import { type DataLossChange, dataLossChanges, deriveReplacements, REPLACING_PROPERTIES } from "./replacements";
import type { CloudFormation } from "./stack-state";
import { parseTemplateDocument } from "./template-values";
import type { StackTemplate } from "./templates";

/** Pseudo parameters known from the stack's ARN (`arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>`). */
export function pseudoParameters(stackIdOrName: string, stackName: string, region: string): Record<string, string> {
  const arn = /^arn:([^:]+):cloudformation:([^:]+):(\d{12}):stack\//.exec(stackIdOrName);
  return {
    "AWS::StackName": stackName,
    "AWS::Region": arn?.[2] ?? region,
    "AWS::Partition": arn?.[1] ?? (region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws"),
    ...(arn?.[3] ? { "AWS::AccountId": arn[3] } : {}),
    ...(arn ? { "AWS::StackId": stackIdOrName } : {}),
    "AWS::URLSuffix": region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com",
  };
}

const asRecord = (parameters: readonly Parameter[] | undefined): Record<string, string> =>
  Object.fromEntries((parameters ?? []).map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? ""]));

export interface GuardedChanges {
  changes: ChangeRow[];
  dataLoss: DataLossChange[];
}

/**
 * Completes the rows of an UPDATE change set (replacement and its causes for tables, buckets, keys
 * and log groups) and lists the data-losing ones; `allow` holds the logical ids let through.
 */
export async function guardUpdate(
  cf: CloudFormation,
  existing: Stack,
  template: StackTemplate,
  parameters: readonly Parameter[],
  rows: readonly ChangeRow[],
  allow: ReadonlySet<string>,
  region: string,
  signal?: AbortSignal,
): Promise<GuardedChanges> {
  let changes = [...rows];
  const unexplained = rows.some((r) => r.action === "Modify" && REPLACING_PROPERTIES[r.type] && !(r.causes?.length ?? 0));
  if (unexplained) {
    const stackId = existing.StackId ?? existing.StackName ?? template.stack;
    let deployedBody: string;
    try {
      const deployed = await cf.send(new GetTemplateCommand({ StackName: stackId, TemplateStage: "Original" }), { abortSignal: signal });
      deployedBody = deployed.TemplateBody ?? "{}";
    } catch (error) {
      throw toTraceError(error, `deployed template of ${existing.StackName}`);
    }
    const pseudo = pseudoParameters(stackId, existing.StackName ?? "", region);
    changes = deriveReplacements(
      rows,
      { document: parseTemplateDocument(deployedBody), context: { parameters: asRecord(existing.Parameters), pseudo } },
      { document: parseTemplateDocument(template.body), context: { parameters: asRecord(parameters), pseudo } },
    );
  }
  return { changes, dataLoss: dataLossChanges(changes, allow) };
}
