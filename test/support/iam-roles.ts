// A role's inline policy from a stack template with the intrinsics resolved to concrete values
// (parameters, pseudo parameters, names and ARNs of the stack's resources), so tests can create
// that exact policy in the emulator or evaluate a call against it.
import type { StackId } from "../../src/core/stacks";
import { conditionHolds, type Json, loadTemplate, resource, roleStatements, type Template } from "./cloudformation";

export interface ResolveContext {
  /** Parameter and pseudo-parameter values (AWS::Region, AWS::AccountId, AWS::Partition). */
  values: Record<string, string>;
  /** What `Ref` and `GetAtt X.Arn` give for the stack's own resources, by logical id. */
  refs: Record<string, string>;
  arns: Record<string, string>;
}

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Json;
}

/**
 * CloudWatch Logs' vended log-delivery actions, which Step Functions' execution logging needs and
 * which take no resource ("Logging Step Functions executions in CloudWatch Logs", IAM policies).
 */
export const LOG_DELIVERY_ACTIONS = [
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
];

/** What a tracing state machine's role needs (docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html: Resource "*"). */
export const XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"];

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Resolves Ref, Fn::Sub, Fn::GetAtt (Arn) and Fn::If in a template value. */
export function resolveValue(template: Template, value: Json, ctx: ResolveContext): Json {
  const lookup = (name: string): string => {
    const [id, attribute] = name.split(".") as [string, string | undefined];
    const found = attribute ? (attribute === "Arn" ? ctx.arns[id] : undefined) : (ctx.values[id] ?? ctx.refs[id]);
    if (found === undefined) throw new Error(`no value for ${name}`);
    return found;
  };
  if (Array.isArray(value)) return value.map((v) => resolveValue(template, v, ctx));
  if (!value || typeof value !== "object") return value;
  if ("Ref" in value) return lookup(value.Ref);
  if ("Fn::GetAtt" in value) return lookup((value["Fn::GetAtt"] as string[]).join("."));
  if ("Fn::Sub" in value) {
    const arg = value["Fn::Sub"];
    const [text, vars] = Array.isArray(arg) ? [arg[0] as string, resolveValue(template, arg[1], ctx)] : [arg as string, {}];
    return text.replace(/\$\{([^!}][^}]*)\}/g, (_, name: string) => vars[name] ?? lookup(name));
  }
  if ("Fn::If" in value) {
    const [condition, whenTrue, whenFalse] = value["Fn::If"];
    return resolveValue(template, conditionHolds(template, condition, ctx.values) ? whenTrue : whenFalse, ctx);
  }
  if ("Fn::Select" in value) {
    const [index, list] = value["Fn::Select"];
    return (resolveValue(template, list, ctx) as Json[])[Number(index)];
  }
  if ("Fn::Split" in value) {
    const [separator, text] = value["Fn::Split"];
    return String(resolveValue(template, text, ctx)).split(separator);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(template, v, ctx)]));
}

/** The role's inline policies as one resolved document (statements in template order). */
export function rolePolicy(stack: StackId, roleId: string, ctx: ResolveContext): PolicyDocument {
  const template = loadTemplate(stack);
  return { Version: "2012-10-17", Statement: resolveValue(template, roleStatements(resource(template, roleId)), ctx) };
}

const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** IAM's wildcard match: `*` any run of characters, `?` one character, case-insensitive for actions. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, ignoreCase ? "i" : "").test(value);
}

/** The statements of a policy that allow `action` on `resourceArn` (empty: denied). */
export function allowingStatements(
  policy: PolicyDocument,
  action: string,
  resourceArn: string,
  context: Record<string, string> = {},
): PolicyStatement[] {
  return policy.Statement.filter(
    (s) =>
      s.Effect === "Allow" &&
      asArray(s.Action).some((a) => wildcardMatch(a, action, true)) &&
      asArray(s.Resource).some((r) => wildcardMatch(r, resourceArn)) &&
      conditionsHold(s.Condition, context),
  );
}

/** The data key's key policy from base.yaml, resolved. */
export function dataKeyPolicy(ctx: ResolveContext): { Statement: (PolicyStatement & { Principal: Json })[] } {
  const template = loadTemplate("base");
  return resolveValue(template, resource(template, "DataKey").Properties.KeyPolicy, ctx);
}

const CONDITION_OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  StringEquals: (p, v) => p === v,
  StringLike: (p, v) => wildcardMatch(p, v),
  ArnEquals: (p, v) => p === v,
  ArnLike: (p, v) => wildcardMatch(p, v),
  Bool: (p, v) => String(p).toLowerCase() === v.toLowerCase(),
};

/** Whether a statement's conditions hold for a request context; unknown operators fail loudly. */
export function conditionsHold(condition: Json, context: Record<string, string>): boolean {
  if (!condition) return true;
  return Object.entries(condition as Record<string, Record<string, string | string[]>>).every(([operator, keys]) => {
    const test = CONDITION_OPERATORS[operator];
    if (!test) throw new Error(`condition operator ${operator} is not modelled: add it to CONDITION_OPERATORS`);
    return Object.entries(keys).every(([key, patterns]) => {
      const value = context[key];
      return value !== undefined && asArray(patterns).some((p) => test(p, value));
    });
  });
}

/**
 * The key-policy statements that let `principal` do `action` on the key: for a role, the
 * statement delegating to the account's IAM (the role's own policy must then allow it too); for
 * a service, the statement naming that service principal, with its conditions evaluated.
 */
export function keyPolicyAllowing(
  keyPolicy: { Statement: (PolicyStatement & { Principal: Json })[] },
  principal: { role: string } | { service: string },
  action: string,
  context: Record<string, string>,
  account: string,
): PolicyStatement[] {
  return keyPolicy.Statement.filter((s) => {
    if (s.Effect !== "Allow" || !asArray(s.Action).some((a) => wildcardMatch(a, action, true))) return false;
    const named =
      "role" in principal
        ? asArray(s.Principal?.AWS ?? []).includes(`arn:aws:iam::${account}:root`)
        : asArray(s.Principal?.Service ?? []).some(
            // "logs.us-east-1.amazonaws.com" (regional form) and "logs.amazonaws.com" name the same service.
            (svc: string) =>
              svc.replace(/\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com$/, ".amazonaws.com") === `${principal.service}.amazonaws.com`,
          );
    return named && conditionsHold(s.Condition, context);
  });
}
