/**
 * Stack parameters and tags from the environment's config, earlier stacks' outputs and the
 * published artifacts. A template parameter we cannot fill and that has no default is an error.
 */
import type { Parameter, Tag } from "@aws-sdk/client-cloudformation";
import type { EnvironmentConfig } from "../config";
import { ErrorCode, TraceError } from "../errors";
import { configParameters } from "../stacks";
import type { TemplateParameter } from "./templates";

/** Values known from the environment alone, by parameter name (the contract in stacks.ts). */
export const environmentParameters = (env: EnvironmentConfig): Record<string, string> => configParameters(env);

export interface ParameterSources {
  env: EnvironmentConfig;
  /** Outputs of the stacks deployed before this one (bootstrap's ArtifactBucketName among them). */
  outputs: Readonly<Record<string, string>>;
  /** Code-key parameter name → S3 key of the published artifact. */
  codeKeys: Readonly<Record<string, string>>;
}

export interface ResolvedParameters {
  parameters: Parameter[];
  /** Parameters with neither a value nor a default. */
  missing: string[];
}

/** Fills every template parameter it can; reports the ones left without a value or default. */
export function resolveParameters(declared: readonly TemplateParameter[], sources: ParameterSources): ResolvedParameters {
  const known: Record<string, string> = { ...sources.outputs, ...environmentParameters(sources.env), ...sources.codeKeys };
  const parameters: Parameter[] = [];
  const missing: string[] = [];
  for (const p of declared) {
    const value = known[p.name];
    if (value !== undefined) parameters.push({ ParameterKey: p.name, ParameterValue: value });
    else if (!p.hasDefault) missing.push(p.name);
  }
  return { parameters, missing };
}

/** The error for parameters nobody can fill, naming them and the template. */
export function missingParametersError(stackName: string, templatePath: string, missing: readonly string[]): TraceError {
  return new TraceError(
    ErrorCode.usage,
    `stack ${stackName}: template ${templatePath} declares parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")} that trace cannot fill and that ${missing.length > 1 ? "have" : "has"} no default`,
    {
      hint: "give the parameter a Default in the template, or name it after a config value or an earlier stack's output (docs/deploy.md)",
    },
  );
}

/** Stack tags: the environment's tags plus `trace:stage`. */
export function stackTags(env: EnvironmentConfig): Tag[] {
  const tags = { ...env.tags, "trace:stage": env.stage };
  return Object.entries(tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([Key, Value]) => ({ Key, Value }));
}
