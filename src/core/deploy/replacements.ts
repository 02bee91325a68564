/**
 * Data-losing changes: a table, bucket, KMS key or log group that an update would replace or
 * remove. Real CloudFormation says which resources it replaces (`Replacement`) and which property
 * causes it (`Details[].Target`); an emulator may say neither (moto 5.2.5 reports only action,
 * logical id and type). Then the replacement is derived from the template diff: the resource's
 * properties before and after, evaluated with the old and the new parameter values, compared on the
 * properties whose change CloudFormation documents as requiring replacement (the resource types'
 * `createOnlyProperties` / `conditionalCreateOnlyProperties` in the CloudFormation resource
 * provider schemas, "Update requires: Replacement" in the Template Reference).
 */
import { ErrorCode, TraceError } from "../errors";
import type { ChangeRow } from "./change-sets";
import { type EvaluationContext, type Json, resourceProperties, sameJson, type TemplateDocument } from "./template-values";

interface ReplacingProperty {
  name: string;
  /** "True": always replaced; "Conditional": replaced depending on the change (CloudFormation's wording). */
  replacement: "True" | "Conditional";
}

/**
 * Properties whose change replaces the resource, for the types whose replacement loses data. From
 * the provider schemas shipped with cfn-lint (AWS::DynamoDB::Table: createOnly TableName,
 * ImportSourceSpecification, conditionalCreateOnly KeySchema; AWS::S3::Bucket: BucketName,
 * BucketNamePrefix, BucketNamespace; AWS::Logs::LogGroup: LogGroupName) and the Template Reference
 * (AWS::KMS::Key KeySpec, KeyUsage, MultiRegion, Origin: "Update requires: Replacement", and
 * CloudFormation then refuses the update so as not to delete the key). A key schema change always
 * needs a new table: DynamoDB cannot change a table's primary key.
 */
export const REPLACING_PROPERTIES: Readonly<Record<string, readonly ReplacingProperty[]>> = {
  "AWS::DynamoDB::Table": [
    { name: "TableName", replacement: "True" },
    { name: "KeySchema", replacement: "True" },
    { name: "ImportSourceSpecification", replacement: "True" },
  ],
  "AWS::DynamoDB::GlobalTable": [
    { name: "TableName", replacement: "True" },
    { name: "KeySchema", replacement: "True" },
    { name: "LocalSecondaryIndexes", replacement: "Conditional" },
    { name: "GlobalTableSourceArn", replacement: "Conditional" },
  ],
  "AWS::S3::Bucket": [
    { name: "BucketName", replacement: "True" },
    { name: "BucketNamePrefix", replacement: "True" },
    { name: "BucketNamespace", replacement: "True" },
  ],
  "AWS::KMS::Key": [
    { name: "KeySpec", replacement: "True" },
    { name: "KeyUsage", replacement: "True" },
    { name: "MultiRegion", replacement: "True" },
    { name: "Origin", replacement: "True" },
  ],
  "AWS::Logs::LogGroup": [{ name: "LogGroupName", replacement: "True" }],
};

/** Types whose replacement or removal loses data: deploy refuses those changes unless allowed one by one. */
export const GUARDED_TYPES: ReadonlySet<string> = new Set(Object.keys(REPLACING_PROPERTIES));

/** One side of an update: the template and the parameter values it is evaluated with. */
export interface TemplateSide {
  document: TemplateDocument;
  context: EvaluationContext;
}

/**
 * Fills in `replacement` and `causes` for the guarded resources the service left without them,
 * from the template diff (see the module comment). Rows the service already explained are kept.
 */
export function deriveReplacements(rows: readonly ChangeRow[], before: TemplateSide, after: TemplateSide): ChangeRow[] {
  return rows.map((row) => {
    const replacing = REPLACING_PROPERTIES[row.type];
    if (!replacing || row.action !== "Modify") return row;
    if (row.replacement !== undefined && (row.causes?.length ?? 0) > 0) return row;
    const old = resourceProperties(before.document, row.logicalId, before.context) ?? {};
    const next = resourceProperties(after.document, row.logicalId, after.context) ?? {};
    const changed = replacing.filter((p) => !sameJson(old[p.name] as Json | undefined, next[p.name] as Json | undefined));
    const causes = changed.map((p) => p.name);
    if (row.replacement !== undefined) return { ...row, causes };
    const replacement = changed.some((p) => p.replacement === "True") ? "True" : changed.length > 0 ? "Conditional" : "False";
    return {
      ...row,
      replacement,
      causes,
      replacementFrom: "template",
      dangerous: row.dangerous || replacement !== "False",
    };
  });
}

export interface DataLossChange {
  logicalId: string;
  type: string;
  action: "Modify" | "Remove";
  replacement: string | undefined;
  /** The properties that cause the replacement (empty for a removal). */
  causes: string[];
  /** Named by `--allow-replacement`. */
  allowed: boolean;
}

/** The changes that would replace or remove a guarded resource; `allow` holds the logical ids let through. */
export function dataLossChanges(rows: readonly ChangeRow[], allow: ReadonlySet<string>): DataLossChange[] {
  return rows
    .filter((r) => GUARDED_TYPES.has(r.type))
    .filter((r) => r.action === "Remove" || (r.action === "Modify" && (r.replacement === "True" || r.replacement === "Conditional")))
    .map((r) => ({
      logicalId: r.logicalId,
      type: r.type,
      action: r.action as "Modify" | "Remove",
      replacement: r.replacement,
      causes: r.causes ?? [],
      allowed: allow.has(r.logicalId),
    }));
}

/** One phrase per change: what happens to which resource, and why. */
export function describeDataLoss(change: DataLossChange): string {
  if (change.action === "Remove") {
    return `${change.logicalId} (${change.type}) would be removed from the stack (deleted, or orphaned if retained)`;
  }
  const how = change.replacement === "Conditional" ? "may be replaced" : "would be replaced";
  const cause = change.causes.length > 0 ? `, because ${change.causes.join(", ")} changes` : "";
  return `${change.logicalId} (${change.type}) ${how}${cause}: a new one is created and the old one deleted with its data (or orphaned if retained)`;
}

/** The refusal: exit 4 (conflict), naming each resource and cause and the flag that lets exactly it through. */
export function dataLossError(stackName: string, blocked: readonly DataLossChange[]): TraceError {
  const what = blocked.map(describeDataLoss).join("; ");
  return new TraceError(ErrorCode.conflict, `${stackName}: refusing a data-losing change: ${what}`, {
    hint: `if that is really wanted (data backed up or migrated), deploy again with ${blocked
      .map((b) => `--allow-replacement ${b.logicalId}`)
      .join(" ")}; otherwise keep the property as it is`,
  });
}
