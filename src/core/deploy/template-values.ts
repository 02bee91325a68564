/**
 * Templates as CloudFormation sees them: short-form intrinsics (`!Ref`, `!Sub`, `!If` …) read into
 * their long JSON form, and the few intrinsics that name things (Ref to parameters and pseudo
 * parameters, Fn::Sub, Fn::Join, Fn::If with the template's conditions, Fn::Select) evaluated, so
 * deploy can compare a resource's properties before and after an update and forecast can know a
 * table's or log group's physical name before anything is created. Anything it cannot evaluate
 * (Fn::GetAtt, Fn::ImportValue, a Ref to a resource) stays in its JSON form: equal forms compare
 * equal, and a name that contains one is "unknown".
 */
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from "yaml";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface TemplateDocument {
  Parameters?: Record<string, { Default?: Json } | null>;
  Conditions?: Record<string, Json>;
  Resources?: Record<string, { Type?: string; Condition?: string; DeletionPolicy?: string; Properties?: Record<string, Json> } | null>;
  Outputs?: Record<string, Json>;
}

const FUNCTIONS = ["Base64", "Cidr", "FindInMap", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform"];
const CONDITION_FUNCTIONS = ["And", "Equals", "If", "Not", "Or"];

/** The YAML tags of CloudFormation's short-form intrinsics, each read into its long JSON form. */
export function intrinsicTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [
    { tag: "!Ref", resolve: (value: string) => ({ Ref: value }) },
    { tag: "!Condition", resolve: (value: string) => ({ Condition: value }) },
    { tag: "!GetAtt", resolve: (value: string) => ({ "Fn::GetAtt": value.split(".", 2) }) },
    { tag: "!GetAtt", collection: "seq", resolve: (seq: YAMLSeq) => ({ "Fn::GetAtt": seq.toJSON() }) } as unknown as CollectionTag,
  ];
  for (const name of [...FUNCTIONS, ...CONDITION_FUNCTIONS]) {
    const key = `Fn::${name}`;
    tags.push({ tag: `!${name}`, resolve: (value: string) => ({ [key]: value }) });
    tags.push({ tag: `!${name}`, collection: "seq", resolve: (seq: YAMLSeq) => ({ [key]: seq.toJSON() }) } as unknown as CollectionTag);
    tags.push({ tag: `!${name}`, collection: "map", resolve: (map: YAMLMap) => ({ [key]: map.toJSON() }) } as unknown as CollectionTag);
  }
  return tags;
}

/** Parses template text (YAML or JSON) with intrinsics in their long form. */
export function parseTemplateDocument(body: string): TemplateDocument {
  return (parse(body, { customTags: intrinsicTags(), logLevel: "error", uniqueKeys: false }) ?? {}) as TemplateDocument;
}

/** What a template's values are evaluated against. */
export interface EvaluationContext {
  /** Parameter values as passed to CloudFormation (defaults fill the rest). */
  parameters: Readonly<Record<string, string>>;
  /** Pseudo parameters known in advance (AWS::Region, AWS::StackName, AWS::Partition …). */
  pseudo?: Readonly<Record<string, string>>;
}

/** Marks a property removed by `Ref: AWS::NoValue`. */
const NO_VALUE = Symbol("AWS::NoValue");

const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Evaluates the naming intrinsics of `value`; see the module comment for what stays unevaluated. */
export function evaluate(document: TemplateDocument, value: Json, context: EvaluationContext): Json {
  const result = evaluateNode(document, value, context);
  return result === NO_VALUE ? null : (result as Json);
}

function parameterValue(document: TemplateDocument, name: string, context: EvaluationContext): string | undefined {
  if (name in context.parameters) return context.parameters[name];
  if (context.pseudo && name in context.pseudo) return context.pseudo[name];
  const declared = document.Parameters?.[name];
  if (declared && declared.Default !== undefined && declared.Default !== null) return String(declared.Default);
  return undefined;
}

/** The truth of a named condition, or undefined when it depends on something unknown. */
export function conditionValue(document: TemplateDocument, name: string, context: EvaluationContext): boolean | undefined {
  const condition = document.Conditions?.[name];
  if (condition === undefined) return undefined;
  const value = evaluateNode(document, condition, context);
  return typeof value === "boolean" ? value : undefined;
}

function evaluateNode(document: TemplateDocument, node: Json, context: EvaluationContext): Json | typeof NO_VALUE {
  if (Array.isArray(node)) return node.map((n) => evaluateNode(document, n, context)).filter((n): n is Json => n !== NO_VALUE);
  if (!isObject(node)) return node;
  const keys = Object.keys(node);
  if (keys.length === 1) {
    const [fn] = keys as [string];
    const arg = node[fn] as Json;
    if (fn === "Ref" && typeof arg === "string") {
      if (arg === "AWS::NoValue") return NO_VALUE;
      return parameterValue(document, arg, context) ?? node;
    }
    if (fn === "Condition" && typeof arg === "string") return conditionValue(document, arg, context) ?? node;
    if (fn === "Fn::Sub") return evaluateSub(document, arg, context) ?? node;
    if (fn === "Fn::Join" && Array.isArray(arg) && typeof arg[0] === "string") {
      const parts = evaluateNode(document, arg[1] ?? [], context);
      if (Array.isArray(parts) && parts.every((p) => typeof p === "string" || typeof p === "number")) return parts.join(arg[0]);
      return node;
    }
    if (fn === "Fn::Select" && Array.isArray(arg)) {
      const list = evaluateNode(document, arg[1] ?? [], context);
      const index = Number(evaluateNode(document, arg[0] ?? 0, context));
      return Array.isArray(list) && Number.isInteger(index) && index < list.length ? (list[index] as Json) : node;
    }
    if (fn === "Fn::If" && Array.isArray(arg) && typeof arg[0] === "string") {
      const holds = conditionValue(document, arg[0], context);
      if (holds === undefined) return node;
      return evaluateNode(document, (holds ? arg[1] : arg[2]) ?? null, context);
    }
    if (fn === "Fn::Equals" && Array.isArray(arg)) {
      const [a, b] = arg.map((x) => evaluateNode(document, x, context));
      return isResolved(a) && isResolved(b) ? String(a) === String(b) : node;
    }
    if (fn === "Fn::Not" && Array.isArray(arg)) {
      const a = evaluateNode(document, arg[0] ?? null, context);
      return typeof a === "boolean" ? !a : node;
    }
    if ((fn === "Fn::And" || fn === "Fn::Or") && Array.isArray(arg)) {
      const values = arg.map((x) => evaluateNode(document, x, context));
      if (!values.every((v) => typeof v === "boolean")) return node;
      return fn === "Fn::And" ? values.every(Boolean) : values.some(Boolean);
    }
  }
  const out: Record<string, Json> = {};
  for (const [key, child] of Object.entries(node)) {
    const value = evaluateNode(document, child, context);
    if (value !== NO_VALUE) out[key] = value;
  }
  return out;
}

const isResolved = (v: unknown): boolean => typeof v === "string" || typeof v === "number" || typeof v === "boolean";

function evaluateSub(document: TemplateDocument, arg: Json, context: EvaluationContext): string | undefined {
  const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
  if (typeof text !== "string") return undefined;
  const local: Record<string, Json | typeof NO_VALUE> = {};
  if (isObject(vars)) for (const [k, v] of Object.entries(vars)) local[k] = evaluateNode(document, v, context);
  let unresolved = false;
  const out = text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name.startsWith("!")) return `\${${name.slice(1)}}`;
    const value = name in local ? local[name] : parameterValue(document, name, context);
    if (value === undefined || !isResolved(value)) {
      unresolved = true;
      return whole;
    }
    return String(value);
  });
  return unresolved ? undefined : out;
}

/** A resource's properties with the naming intrinsics evaluated (undefined when the resource is absent). */
export function resourceProperties(
  document: TemplateDocument,
  logicalId: string,
  context: EvaluationContext,
): Record<string, Json> | undefined {
  const resource = document.Resources?.[logicalId];
  if (!resource) return undefined;
  const value = evaluate(document, (resource.Properties ?? {}) as Json, context);
  return isObject(value) ? value : {};
}

/** Whether a resource exists under the given parameter values (its Condition, when it has one, holds). */
export function resourceIncluded(document: TemplateDocument, logicalId: string, context: EvaluationContext): boolean {
  const resource = document.Resources?.[logicalId];
  if (!resource) return false;
  if (!resource.Condition) return true;
  return conditionValue(document, resource.Condition, context) !== false;
}

/** Structural equality of two JSON values (key order ignored). */
export function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  // CloudFormation passes every scalar as a string: 1 and "1" are the same value.
  return (typeof a === "number" || typeof a === "string") && (typeof b === "number" || typeof b === "string") && String(a) === String(b);
}
