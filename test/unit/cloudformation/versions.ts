// Issue 23's versions, for every function (docs/deploy.md, "Versions and rollback"): each Lambda
// function of a template has a retained AWS::Lambda::Version keyed by its revision parameter and an
// alias on that version, src/core/stacks.ts FUNCTIONS names both (what deploy, rollback and status
// iterate over), and everything that invokes the function names the alias, never the unqualified
// function ($LATEST), which a rollback could not move. A role that invokes it is allowed the alias's
// ARN only: "Functions–Actions that operate on a function can be restricted to a specific function
// by function, version, or alias ARN" (docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html),
// and an invocation of the alias is authorized against the alias's ARN; Scheduler, Pipes and Step
// Functions invoke with the role the template gives them
// ("EventBridge Scheduler must have permission to invoke its target API operation on your behalf
// [...] using an execution role": docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html;
// docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html,
// docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html).
import { FUNCTIONS, type FunctionSpec } from "../../../src/core/stacks";
import { asList, type Json, type Resource, resourcesOfType, roleStatements, subTokens, type Template } from "../../support/cloudformation";

/** A function (logical id) as something names it: through its alias, or unqualified. */
interface Invocation {
  fn: string;
  viaAlias: boolean;
}

const aliasesOf = (template: Template, fn: string): [string, Resource][] =>
  resourcesOfType(template, "AWS::Lambda::Alias").filter(([, a]) => a.Properties.FunctionName?.Ref === fn);

function isType(template: Template, id: string, type: string): boolean {
  return template.Resources[id]?.Type === type;
}

/** What a `${X.Arn}:<suffix>` or `${X}` token of a Sub string invokes, or undefined when X is no function or alias. */
function tokenInvocation(template: Template, token: string, suffix: string | undefined): Invocation | undefined {
  const [id = "", attribute] = token.split(".");
  if (isType(template, id, "AWS::Lambda::Alias")) return { fn: template.Resources[id]?.Properties.FunctionName?.Ref, viaAlias: true };
  if (!isType(template, id, "AWS::Lambda::Function") || attribute !== "Arn") return undefined;
  const names = aliasesOf(template, id).map(([, a]) => `:${a.Properties.Name}`);
  return { fn: id, viaAlias: suffix !== undefined && names.includes(suffix) };
}

/** What a value in an invoking position (a target, a FunctionName, a policy Resource) invokes. */
function invocation(template: Template, value: Json): Invocation | undefined {
  if (typeof value?.Ref === "string") {
    if (isType(template, value.Ref, "AWS::Lambda::Alias")) return tokenInvocation(template, value.Ref, undefined);
    return isType(template, value.Ref, "AWS::Lambda::Function") ? { fn: value.Ref, viaAlias: false } : undefined;
  }
  if (value?.["Fn::GetAtt"]) {
    const [id = ""] = asList(value["Fn::GetAtt"]) as string[];
    return isType(template, id, "AWS::Lambda::Function") ? { fn: id, viaAlias: false } : undefined;
  }
  const sub = value?.["Fn::Sub"];
  if (typeof sub === "string") {
    const m = /^\$\{([^}]+)\}(:[\w-]+)?$/.exec(sub);
    return m ? tokenInvocation(template, m[1] as string, m[2]) : undefined;
  }
  return undefined;
}

/** The functions a state machine's definition invokes: each `${X.Arn}[:alias]` / `${Alias}` token of its Sub. */
function definitionInvocations(template: Template, definition: Json): Invocation[] {
  const sub = definition?.["Fn::Sub"];
  const text = String(Array.isArray(sub) ? sub[0] : (sub ?? ""));
  const found: Invocation[] = [];
  for (const token of new Set(subTokens(text)))
    for (const after of text.split(`\${${token}}`).slice(1)) {
      const inv = tokenInvocation(template, token, /^(:[\w-]+)/.exec(after)?.[1]);
      if (inv) found.push(inv);
    }
  return found;
}

/** Every place a template invokes a function, with where it is. */
function invocations(template: Template): { where: string; value: Invocation }[] {
  const found: { where: string; value: Invocation | undefined }[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case "AWS::Scheduler::Schedule":
        found.push({ where: `${id}.Target`, value: invocation(template, p.Target?.Arn) });
        break;
      case "AWS::Events::Rule":
        for (const t of p.Targets ?? []) found.push({ where: `${id}.Targets[${t.Id}]`, value: invocation(template, t.Arn) });
        break;
      case "AWS::Pipes::Pipe":
        found.push({ where: `${id}.Enrichment`, value: invocation(template, p.Enrichment) });
        found.push({ where: `${id}.Target`, value: invocation(template, p.Target) });
        break;
      case "AWS::Lambda::EventSourceMapping":
      case "AWS::Lambda::Permission":
        found.push({ where: `${id}.FunctionName`, value: invocation(template, p.FunctionName) });
        break;
      case "AWS::StepFunctions::StateMachine":
        for (const value of definitionInvocations(template, p.DefinitionString)) found.push({ where: `${id}.DefinitionString`, value });
        break;
      case "AWS::IAM::Role":
        for (const s of roleStatements(r).filter((s: Json) => s.Effect === "Allow" && asList(s.Action).includes("lambda:InvokeFunction")))
          for (const res of asList(s.Resource)) found.push({ where: `${id}.${s.Sid ?? "statement"}`, value: invocation(template, res) });
        break;
    }
  }
  return found.filter((f): f is { where: string; value: Invocation } => f.value !== undefined);
}

/** What is wrong with one function's version and alias, and with its FUNCTIONS entry. */
function functionProblems(template: Template, id: string, fn: Resource, functions: Record<string, FunctionSpec>): string[] {
  const codeKey = fn.Properties.Code?.S3Key?.Ref;
  const entry = Object.entries(functions).find(([, f]) => f.codeKeyParameter === codeKey);
  if (!entry) return [`${id}: no FUNCTIONS entry has its code key ${codeKey}`];
  const [name, spec] = entry;
  const problems: string[] = [];
  if (!spec.revisionParameter || !spec.alias)
    problems.push(`${id}: FUNCTIONS.${name} has no revisionParameter and alias (deploy, rollback and status skip it)`);
  const versions = resourcesOfType(template, "AWS::Lambda::Version").filter(([, v]) => v.Properties.FunctionName?.Ref === id);
  const [versionId, version] = versions[0] ?? [];
  if (!versionId || !version) problems.push(`${id}: no AWS::Lambda::Version`);
  else {
    if (version.DeletionPolicy !== "Retain" || version.UpdateReplacePolicy !== "Retain")
      problems.push(`${versionId}: not retained (a replaced version must stay a rollback target)`);
    const text = JSON.stringify(version.Properties);
    if (spec.revisionParameter && !(text.includes(`{"Ref":"${spec.revisionParameter}"}`) && text.includes(`\${${spec.revisionParameter}}`)))
      problems.push(`${versionId}: CodeSha256 and Description do not come from ${spec.revisionParameter}`);
    if (spec.revisionParameter && !template.Parameters[spec.revisionParameter])
      problems.push(`${id}: no parameter ${spec.revisionParameter}`);
    if (version.Condition !== fn.Condition)
      problems.push(`${versionId}: Condition ${version.Condition} is not the function's (${fn.Condition})`);
  }
  const [aliasId, alias] = aliasesOf(template, id)[0] ?? [];
  if (!aliasId || !alias) problems.push(`${id}: no AWS::Lambda::Alias`);
  else {
    if (spec.alias && alias.Properties.Name !== spec.alias)
      problems.push(`${aliasId}: named ${alias.Properties.Name}, FUNCTIONS.${name} says ${spec.alias}`);
    const named = asList(alias.Properties.FunctionVersion?.["Fn::GetAtt"] ?? []) as string[];
    if (named[0] !== versionId || named[1] !== "Version") problems.push(`${aliasId}: FunctionVersion is not ${versionId}.Version`);
    if (alias.Condition !== fn.Condition) problems.push(`${aliasId}: Condition ${alias.Condition} is not the function's (${fn.Condition})`);
  }
  for (const [configId, config] of resourcesOfType(template, "AWS::Lambda::EventInvokeConfig"))
    if (config.Properties.FunctionName?.Ref === id && alias && config.Properties.Qualifier !== alias.Properties.Name)
      problems.push(`${configId}: applies to ${config.Properties.Qualifier}, not the alias ${alias.Properties.Name} that is invoked`);
  return problems;
}

/**
 * Every function of the template is versioned behind an alias (FUNCTIONS included), and every
 * schedule, rule, pipe, mapping, permission, state machine and role that invokes it names the alias.
 */
export function versionProblems(template: Template, functions: Record<string, FunctionSpec> = FUNCTIONS): string[] {
  const problems = resourcesOfType(template, "AWS::Lambda::Function").flatMap(([id, fn]) => functionProblems(template, id, fn, functions));
  for (const { where, value } of invocations(template))
    if (!value.viaAlias) problems.push(`${where}: invokes ${value.fn} unqualified ($LATEST), not its alias`);
  return problems;
}
