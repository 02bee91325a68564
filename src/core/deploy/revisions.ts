/**
 * A versioned function's revision: the sha256 of its deployment package as Lambda reports it
 * (CodeSha256, base64) and a hash of its configuration (the function resource's properties but
 * its code, with the stack's parameter values filled in). The template's AWS::Lambda::Version
 * takes it as a parameter, so CloudFormation publishes a version exactly when the code or the
 * configuration changes, and a redeploy of the same things changes nothing.
 */
import { createHash } from "node:crypto";
import { FUNCTIONS, type FunctionId, functionSpec } from "../stacks";
import type { Artifact } from "./artifacts";
import { evaluate, type Json, parseTemplateDocument, resourceIncluded, type TemplateDocument } from "./template-values";

/** Lambda's CodeSha256 of a zip whose sha256 is `hex` (trace keys artifacts by the hex form). */
export const codeSha256 = (hex: string): string => Buffer.from(hex, "hex").toString("base64");

/** JSON with keys sorted, so equal values hash equally. */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, Json>)[k] as Json)}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/** The logical id of the function whose code comes from `codeKeyParameter`. */
export function functionLogicalId(document: TemplateDocument, codeKeyParameter: string): string | undefined {
  return Object.entries(document.Resources ?? {}).find(
    ([, r]) =>
      r?.Type === "AWS::Lambda::Function" &&
      ((r.Properties?.Code as { S3Key?: { Ref?: string } } | undefined)?.S3Key?.Ref ?? "") === codeKeyParameter,
  )?.[0];
}

/** The revision value: `<CodeSha256> <configuration hash>` (the template splits it on the space). */
export function revisionOf(document: TemplateDocument, id: FunctionId, zipSha256Hex: string, parameters: Record<string, string>): string {
  const logicalId = functionLogicalId(document, FUNCTIONS[id].codeKeyParameter);
  const { Code: _code, ...configuration } = (logicalId ? document.Resources?.[logicalId]?.Properties : undefined) ?? {};
  const evaluated = evaluate(document, configuration as Json, { parameters });
  const hash = createHash("sha256").update(canonical(evaluated)).digest("hex").slice(0, 16);
  return `${codeSha256(zipSha256Hex)} ${hash}`;
}

/**
 * The revision parameters a template declares, for the functions built in this run: parameter
 * name → revision. `parameters` are the stack's other values (config, outputs, code keys).
 */
export function revisionParameters(
  templateBody: string,
  declared: readonly string[],
  artifacts: readonly Pick<Artifact, "function" | "sha256">[],
  parameters: Record<string, string>,
): Record<string, string> {
  const document = parseTemplateDocument(templateBody);
  const values: Record<string, string> = {};
  for (const artifact of artifacts) {
    const name = functionSpec(artifact.function).revisionParameter;
    if (name && declared.includes(name)) values[name] = revisionOf(document, artifact.function, artifact.sha256, parameters);
  }
  return values;
}

/** A versioned function of a template, with its physical name for the given parameter values. */
export interface VersionedFunction {
  id: FunctionId;
  logicalId: string;
  /** Physical name (evaluated FunctionName). */
  functionName: string;
  /** The name without the prefix (audit_producer), which `trace rollback` also accepts. */
  seedName: string;
  alias: string;
  revisionParameter: string;
}

/**
 * The functions of a template that have an alias, named for these parameter values; a function
 * these values leave out (its Condition false: the stamper without the day index) is not listed.
 */
export function versionedFunctions(document: TemplateDocument, parameters: Record<string, string>): VersionedFunction[] {
  const found: VersionedFunction[] = [];
  for (const id of Object.keys(FUNCTIONS) as FunctionId[]) {
    const spec = functionSpec(id);
    const logicalId = functionLogicalId(document, spec.codeKeyParameter);
    if (!logicalId || !spec.alias || !spec.revisionParameter) continue;
    if (!resourceIncluded(document, logicalId, { parameters })) continue;
    const raw = document.Resources?.[logicalId]?.Properties?.FunctionName as Json;
    const functionName = evaluate(document, raw, { parameters });
    const seedName = evaluate(document, raw, { parameters: { ...parameters, Prefix: "" } });
    if (typeof functionName !== "string" || typeof seedName !== "string") continue;
    found.push({ id, logicalId, functionName, seedName, alias: spec.alias, revisionParameter: spec.revisionParameter });
  }
  return found;
}
