// Reads the CloudFormation templates as plain data: short-form intrinsics (!Ref, !Sub, !GetAtt,
// !If, ...) become their long JSON form ({"Ref": ...}, {"Fn::Sub": ...}), as CloudFormation
// itself sees them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { intrinsicTags } from "../../src/core/deploy/template-values";
import type { StackId } from "../../src/core/stacks";
import { projectRoot } from "./paths";

// biome-ignore lint/suspicious/noExplicitAny: template documents are free-form JSON
export type Json = any;

export interface Resource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Json;
  Properties: Json;
}

export interface Template {
  Description?: string;
  Parameters: Record<string, { Type: string; Default?: string | number; AllowedValues?: unknown[] } & Json>;
  Conditions: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: Json; Export?: { Name: Json }; Condition?: string }>;
}

export const templatePath = (stack: StackId) => join(projectRoot, "cloudformation", `${stack}.yaml`);

export function templateText(stack: StackId): string {
  return readFileSync(templatePath(stack), "utf8");
}

/** Parses template text (a stack's file, or a modified copy in a test). */
export function parseTemplate(text: string): Template {
  // Stricter than deploy's reading: a duplicate key in a template fails the tests.
  const doc = parse(text, { customTags: intrinsicTags() }) as Template;
  return { ...doc, Parameters: doc.Parameters ?? {}, Conditions: doc.Conditions ?? {}, Outputs: doc.Outputs ?? {} };
}

export function loadTemplate(stack: StackId): Template {
  return parseTemplate(templateText(stack));
}

/** The resources of a type, by logical id. */
export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The one resource of a type (fails when there is not exactly one). */
export function onlyResource(template: Template, type: string): [string, Resource] {
  const found = resourcesOfType(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, Resource];
}

/** Every IAM statement of a role's inline policies. */
export function roleStatements(role: Resource): Json[] {
  return (role.Properties.Policies ?? []).flatMap((policy: Json) => policy.PolicyDocument.Statement);
}

export const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** All actions a role's policies allow, each with the resources they apply to. */
export function allowedActions(role: Resource): { action: string; resources: Json[] }[] {
  return roleStatements(role)
    .filter((statement) => statement.Effect === "Allow")
    .flatMap((statement) => asList(statement.Action).map((action: string) => ({ action, resources: asList(statement.Resource) })));
}

/** Every {"Ref": name} and "${name}" inside a value (Sub strings included). */
/** The `${Name}` and `${Name.Attr}` tokens of a Fn::Sub string, not its `${!Literal}` escapes. */
export const subTokens = (text: string): string[] => [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1] as string);

export function referencedNames(value: Json): Set<string> {
  const names = new Set<string>();
  const walk = (node: Json) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      for (const [key, child] of Object.entries(node)) {
        if (key === "Ref" && typeof child === "string") names.add(child);
        else if (key === "Fn::GetAtt") names.add(asList(child as string[])[0] as string);
        else if (key === "Fn::Sub") {
          const text = Array.isArray(child) ? child[0] : child;
          for (const token of subTokens(String(text))) names.add(token.split(".")[0] as string);
          if (Array.isArray(child)) walk(child[1]);
        } else walk(child);
      }
    }
  };
  walk(value);
  return names;
}

/** A resource by logical id (fails when it is missing). */
export function resource(template: Template, logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}`);
  return found;
}

/**
 * Evaluates a template's condition for given parameter values (Fn::Equals/Not/And/Or over Refs
 * to parameters and pseudo parameters): which resources a deployment creates.
 */
export function conditionHolds(template: Template, name: string, values: Record<string, string>): boolean {
  const value = (node: Json): unknown => {
    if (node && typeof node === "object" && "Ref" in node) {
      const param = node.Ref as string;
      if (param in values) return values[param];
      const fallback = template.Parameters[param]?.Default;
      if (fallback === undefined) throw new Error(`no value for ${param}`);
      return String(fallback);
    }
    if (node && typeof node === "object" && "Condition" in node) return evaluate(template.Conditions[node.Condition]);
    if (node && typeof node === "object") return evaluate(node);
    return node;
  };
  const evaluate = (node: Json): boolean => {
    const [fn, args] = Object.entries(node)[0] as [string, Json[]];
    if (fn === "Fn::Equals") return String(value(args[0])) === String(value(args[1]));
    if (fn === "Fn::Not") return !value(args[0]);
    if (fn === "Fn::And") return args.every((a) => Boolean(value(a)));
    if (fn === "Fn::Or") return args.some((a) => Boolean(value(a)));
    throw new Error(`cannot evaluate ${fn}`);
  };
  const condition = template.Conditions[name];
  if (condition === undefined) throw new Error(`no condition ${name}`);
  return evaluate(condition);
}
