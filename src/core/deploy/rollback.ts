/**
 * `trace rollback <function>` and the aliases of `trace status`: the version each function's alias
 * names, and moving an alias back to the version before it (or to a chosen one) without a deploy.
 */
import { type FunctionConfiguration, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import type { ResolvedEnvironment } from "../config";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import { configParameters, FUNCTIONS, type FunctionId, functionSpec, STACKS } from "../stacks";
import { getAlias, type Lambda, listVersions, REVISION_PREFIX, ROLLBACK_PREFIX, rolledBackFrom } from "./aliases";
import { type VersionedFunction, versionedFunctions } from "./revisions";
import { parseTemplateDocument } from "./template-values";
import { readTemplate } from "./templates";

/** Every versioned function of the environment, named as its templates name it. */
export function environmentFunctions(env: ResolvedEnvironment, templatesDir: string): VersionedFunction[] {
  const parameters = configParameters(env);
  return STACKS.flatMap((stack) => {
    const ids = (Object.keys(FUNCTIONS) as FunctionId[]).filter((id) => functionSpec(id).stack === stack);
    if (ids.length === 0) return [];
    return versionedFunctions(parseTemplateDocument(readTemplate(templatesDir, stack).body), parameters);
  });
}

/** The function a user names: its id (auditProducer), its name without the prefix (audit_producer) or its full name. */
export function findFunction(functions: readonly VersionedFunction[], name: string): VersionedFunction {
  const found = functions.find((f) => f.id === name || f.seedName === name || f.functionName === name);
  if (found) return found;
  throw new TraceError(ErrorCode.usage, `no versioned function "${name}"`, {
    hint: `choose among ${functions.map((f) => f.seedName).join(", ")}`,
  });
}

export interface VersionInfo {
  version: string;
  /** The revision the version was published for (code sha256 and configuration hash), when trace published it. */
  revision?: string;
  codeSha256?: string;
  lastModified?: string;
}

const info = (v: FunctionConfiguration | undefined): VersionInfo | undefined =>
  v?.Version
    ? {
        version: v.Version,
        ...(v.Description?.startsWith(REVISION_PREFIX) ? { revision: v.Description.slice(REVISION_PREFIX.length) } : {}),
        ...(v.CodeSha256 ? { codeSha256: v.CodeSha256 } : {}),
        ...(v.LastModified ? { lastModified: v.LastModified } : {}),
      }
    : undefined;

export interface RollbackOptions {
  lambda: Lambda;
  env: ResolvedEnvironment;
  templatesDir: string;
  /** The function, as the user named it. */
  name: string;
  /** The version to move the alias to; default: the newest one before the alias's. */
  to?: string;
  reporter: Reporter;
  signal?: AbortSignal;
}

export interface RollbackResult {
  function: FunctionId;
  functionName: string;
  alias: string;
  from: VersionInfo;
  to: VersionInfo;
}

/** Moves the alias back (after confirmation); nothing is deployed, the versions are Lambda's. */
export async function rollback(options: RollbackOptions): Promise<RollbackResult> {
  const { lambda, reporter, signal } = options;
  const fn = findFunction(environmentFunctions(options.env, options.templatesDir), options.name);
  const alias = await getAlias(lambda, fn.functionName, fn.alias, signal);
  if (!alias?.FunctionVersion || alias.FunctionVersion === "$LATEST") {
    throw new TraceError(ErrorCode.notFound, `${fn.functionName} has no alias ${fn.alias} on a published version`, {
      hint: "deploy it first: `trace deploy` publishes a version and moves the alias",
    });
  }
  const versions = await listVersions(lambda, fn.functionName, signal);
  const current = versions.find((v) => v.Version === alias.FunctionVersion);
  const target = options.to
    ? versions.find((v) => v.Version === options.to)
    : versions.filter((v) => Number(v.Version) < Number(alias.FunctionVersion)).at(-1);
  if (!target?.Version) throw noTarget(fn, alias.FunctionVersion, versions, options.to);
  if (target.Version === alias.FunctionVersion) {
    throw new TraceError(ErrorCode.conflict, `alias ${fn.alias} of ${fn.functionName} already names version ${target.Version}`);
  }
  const question = `Move alias ${fn.alias} of ${fn.functionName} from version ${alias.FunctionVersion} to version ${target.Version}?`;
  if (!(await reporter.confirm(question, { default: false }))) {
    throw new TraceError(ErrorCode.declined, `rollback declined; ${fn.alias} still names version ${alias.FunctionVersion}`);
  }
  // The Description marks the rollback, so a redeploy of the same revision leaves the alias here
  // (reconcileAliases); RevisionId refuses the move if the alias changed since it was read.
  const description = `${ROLLBACK_PREFIX}${alias.FunctionVersion} at ${new Date().toISOString()}`;
  try {
    await lambda.send(
      new UpdateAliasCommand({
        FunctionName: fn.functionName,
        Name: fn.alias,
        FunctionVersion: target.Version,
        Description: description,
        RevisionId: alias.RevisionId,
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    throw toTraceError(error, `alias ${fn.alias} of ${fn.functionName}`);
  }
  return {
    function: fn.id,
    functionName: fn.functionName,
    alias: fn.alias,
    from: info(current) ?? { version: alias.FunctionVersion },
    to: info(target) as VersionInfo,
  };
}

function noTarget(fn: VersionedFunction, current: string, versions: readonly FunctionConfiguration[], to?: string): TraceError {
  const known = versions.map((v) => v.Version).join(", ") || "none";
  return to
    ? new TraceError(ErrorCode.notFound, `${fn.functionName} has no version ${to} (published: ${known})`, {
        hint: `choose one of the published versions: \`trace rollback ${fn.seedName} --to <version>\``,
      })
    : new TraceError(ErrorCode.conflict, `${fn.functionName}: alias ${fn.alias} names version ${current}, the oldest there is`, {
        hint: "there is nothing before it to roll back to; deploy the fix instead",
      });
}

export interface AliasStatusRow {
  function: FunctionId;
  functionName: string;
  alias: string;
  /** The version the alias names ("" without an alias). */
  version: string;
  /** The newest published version. */
  latest: string;
  /** The revision of the alias's version. */
  revision?: string;
  /** Set when `trace rollback` moved the alias away from this version. */
  rolledBackFrom?: string;
}

/** Each versioned function's alias: what it names, the newest version, whether it was rolled back. */
export async function aliasStatus(
  lambda: Lambda,
  env: ResolvedEnvironment,
  templatesDir: string,
  signal?: AbortSignal,
): Promise<AliasStatusRow[]> {
  // One function's reads do not wait for another's.
  return Promise.all(
    environmentFunctions(env, templatesDir).map(async (fn): Promise<AliasStatusRow> => {
      const alias = await getAlias(lambda, fn.functionName, fn.alias, signal);
      const versions = alias ? await listVersions(lambda, fn.functionName, signal) : [];
      const named = info(versions.find((v) => v.Version === alias?.FunctionVersion));
      const from = rolledBackFrom(alias?.Description);
      return {
        function: fn.id,
        functionName: fn.functionName,
        alias: fn.alias,
        version: alias?.FunctionVersion ?? "",
        latest: versions.at(-1)?.Version ?? "",
        ...(named?.revision ? { revision: named.revision } : {}),
        ...(from ? { rolledBackFrom: from } : {}),
      };
    }),
  );
}
