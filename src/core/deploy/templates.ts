/**
 * Finding and reading the CloudFormation templates: `cloudformation/<stack>.yaml` under the
 * package root, or another directory (TRACE_TEMPLATES_DIR / --templates) for fixtures and tests.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { ErrorCode, TraceError } from "../errors";
import { packageRoot } from "../package-root";
import type { StackId } from "../stacks";

/** The templates directory: an explicit one (resolved against cwd) or `<package root>/cloudformation`. */
export function templatesDir(explicit?: string): string {
  return explicit ? resolve(explicit) : join(packageRoot(), "cloudformation");
}

export interface TemplateParameter {
  name: string;
  hasDefault: boolean;
}

export interface TemplateResource {
  logicalId: string;
  type: string;
  deletionPolicy: string | undefined;
}

export interface StackTemplate {
  stack: StackId;
  path: string;
  body: string;
  parameters: TemplateParameter[];
  resources: TemplateResource[];
}

type RawTemplate = {
  Parameters?: Record<string, { Default?: unknown } | null>;
  Resources?: Record<string, { Type?: string; DeletionPolicy?: string } | null>;
};

/**
 * Parses template text (YAML or JSON) for what deploy needs: parameter names (with or without
 * a default) and resources (type, DeletionPolicy). Short-form intrinsics (`!Ref`, `!Sub`) are
 * read as plain values: only the shape matters here, CloudFormation evaluates them.
 */
export function parseTemplate(body: string, where: string): Pick<StackTemplate, "parameters" | "resources"> {
  let raw: RawTemplate;
  try {
    raw = (parseYaml(body, { logLevel: "error", uniqueKeys: false }) ?? {}) as RawTemplate;
  } catch (error) {
    throw new TraceError(ErrorCode.usage, `${where}: not a readable template (${(error as Error).message.split("\n")[0]})`, {
      hint: "fix the YAML; `cfn-lint` shows template errors",
      cause: error,
    });
  }
  const parameters = Object.entries(raw.Parameters ?? {}).map(([name, spec]) => ({
    name,
    hasDefault: spec !== null && typeof spec === "object" && "Default" in spec,
  }));
  const resources = Object.entries(raw.Resources ?? {}).map(([logicalId, spec]) => ({
    logicalId,
    type: String(spec?.Type ?? "unknown"),
    deletionPolicy: spec?.DeletionPolicy,
  }));
  return { parameters, resources };
}

/** Reads `<dir>/<stack>.yaml` (or .yml / .json). */
export function readTemplate(dir: string, stack: StackId): StackTemplate {
  const candidates = [`${stack}.yaml`, `${stack}.yml`, `${stack}.json`].map((name) => join(dir, name));
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new TraceError(ErrorCode.notFound, `no template for stack "${stack}" in ${dir} (looked for ${stack}.yaml, .yml, .json)`, {
      hint: "run from an installed trace package, or point TRACE_TEMPLATES_DIR / --templates at the directory with the templates",
    });
  }
  const body = readFileSync(path, "utf8");
  return { stack, path, body, ...parseTemplate(body, path) };
}

/** Types whose deletion or replacement loses data; they stand out in previews and are reported when retained. */
export const DATA_BEARING_TYPES: ReadonlySet<string> = new Set([
  "AWS::DynamoDB::Table",
  "AWS::DynamoDB::GlobalTable",
  "AWS::S3::Bucket",
  "AWS::KMS::Key",
  "AWS::Logs::LogGroup",
]);
