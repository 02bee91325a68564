/**
 * The versions behind each function's alias: what deploy checks after a stack is applied, what
 * `trace rollback` moves, what `trace status` shows. CloudFormation publishes the versions and
 * moves the aliases (AWS::Lambda::Version, AWS::Lambda::Alias); after each stack, `reconcileAliases`
 * reads them back, and does through the Lambda API only what an endpoint's CloudFormation skipped
 * (the emulator creates no alias and publishes no version on update: docs/deploy.md).
 */
import {
  CreateAliasCommand,
  type FunctionConfiguration,
  GetAliasCommand,
  type LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import { toTraceError } from "../errors";
import type { Reporter } from "../reporter";
import type { FunctionId } from "../stacks";
import type { VersionedFunction } from "./revisions";
import { errorName } from "./unavailable";

export type Lambda = Pick<LambdaClient, "send">;

/** What the alias of one function names, before and after a deploy (or a rollback). */
export interface AliasState {
  function: FunctionId;
  functionName: string;
  alias: string;
  /** The version the alias names now ("" when there is no alias). */
  version: string;
  /** The version it named before this run, when that differs. */
  previous?: string;
  /** Set when trace itself published the version or created/moved the alias (the endpoint's CloudFormation did not). */
  repaired?: string;
  /** Why the alias was left where it is, when that is not the deployed revision's version. */
  kept?: string;
}

/** The prefix of a version's Description that carries the revision (the templates set it). */
export const REVISION_PREFIX = "trace revision ";
/** What `trace rollback` writes into the alias's Description, so a later deploy of the same revision keeps the rollback. */
export const ROLLBACK_PREFIX = "trace rollback from version ";

/** Every published version of a function (not $LATEST), oldest first. */
export async function listVersions(lambda: Lambda, functionName: string, signal?: AbortSignal): Promise<FunctionConfiguration[]> {
  const versions: FunctionConfiguration[] = [];
  let marker: string | undefined;
  try {
    do {
      const page = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker: marker }), {
        abortSignal: signal,
      });
      versions.push(...(page.Versions ?? []).filter((v) => v.Version !== "$LATEST"));
      marker = page.NextMarker;
    } while (marker);
  } catch (error) {
    throw toTraceError(error, `versions of ${functionName}`);
  }
  return versions.sort((a, b) => Number(a.Version) - Number(b.Version));
}

/** The alias, or undefined when it does not exist. */
export async function getAlias(lambda: Lambda, functionName: string, alias: string, signal?: AbortSignal) {
  try {
    return await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }), { abortSignal: signal });
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") return undefined;
    throw toTraceError(error, `alias ${alias} of ${functionName}`);
  }
}

/** The version a rollback moved the alias away from, read from its Description. */
export const rolledBackFrom = (description: string | undefined): string | undefined =>
  description?.startsWith(ROLLBACK_PREFIX) ? description.slice(ROLLBACK_PREFIX.length).split(" ")[0] : undefined;

/** The newest version published for this revision, or undefined. */
function versionOf(versions: readonly FunctionConfiguration[], revision: string): string | undefined {
  return versions.filter((v) => v.Description === `${REVISION_PREFIX}${revision}`).at(-1)?.Version;
}

/**
 * After a stack is applied: the alias of each versioned function names the version of the deployed
 * revision, unless `trace rollback` moved it away from exactly that version (a redeploy of the same
 * code keeps the rollback; a new revision moves the alias on). `before` are the alias versions read
 * before the stack was applied, to report what moved.
 */
export async function reconcileAliases(
  lambda: Lambda,
  targets: readonly (VersionedFunction & { revision: string })[],
  before: Readonly<Record<string, string>>,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<AliasState[]> {
  const states: AliasState[] = [];
  for (const t of targets) {
    const base = { function: t.id, functionName: t.functionName, alias: t.alias };
    const repairs: string[] = [];
    let target = versionOf(await listVersions(lambda, t.functionName, signal), t.revision);
    if (!target) {
      const published = await publish(lambda, t.functionName, t.revision, signal);
      target = published.version;
      // Lambda publishes nothing when the code and configuration are those of the last version, and
      // returns that version (the emulator's CloudFormation made it without the revision's Description).
      if (published.published) repairs.push(`published version ${target}`);
    }
    const alias = await getAlias(lambda, t.functionName, t.alias, signal);
    let kept: string | undefined;
    if (!alias) {
      await send(lambda, new CreateAliasCommand({ FunctionName: t.functionName, Name: t.alias, FunctionVersion: target }), signal);
      repairs.push(`created alias ${t.alias}`);
    } else if (alias.FunctionVersion !== target && rolledBackFrom(alias.Description) === target) {
      kept = `rolled back from version ${target} (\`trace rollback\`); a new revision moves it on`;
    } else if (alias.FunctionVersion !== target) {
      const update = new UpdateAliasCommand({ FunctionName: t.functionName, Name: t.alias, FunctionVersion: target, Description: "" });
      await send(lambda, update, signal);
      repairs.push(`moved alias ${t.alias} from ${alias.FunctionVersion}`);
    }
    const version = kept ? (alias?.FunctionVersion ?? "") : target;
    const previous = before[t.functionName];
    if (repairs.length > 0)
      reporter.info(
        `${t.functionName}: ${repairs.join(", ")} through the Lambda API: the endpoint's CloudFormation did not (the local emulator skips AWS::Lambda::Alias and republishes no AWS::Lambda::Version)`,
      );
    states.push({
      ...base,
      version,
      ...(previous !== undefined && previous !== version ? { previous } : {}),
      ...(repairs.length > 0 ? { repaired: repairs.join(", ") } : {}),
      ...(kept ? { kept } : {}),
    });
  }
  return states;
}

async function send(lambda: Lambda, command: CreateAliasCommand | UpdateAliasCommand, signal?: AbortSignal): Promise<void> {
  try {
    await lambda.send(command as never, { abortSignal: signal });
  } catch (error) {
    throw toTraceError(error, `alias ${command.input.Name} of ${command.input.FunctionName}`);
  }
}

async function publish(
  lambda: Lambda,
  functionName: string,
  revision: string,
  signal?: AbortSignal,
): Promise<{ version: string; published: boolean }> {
  try {
    const published = await lambda.send(
      new PublishVersionCommand({
        FunctionName: functionName,
        Description: `${REVISION_PREFIX}${revision}`,
        CodeSha256: revision.split(" ")[0],
      }),
      { abortSignal: signal },
    );
    return { version: published.Version ?? "", published: published.Description === `${REVISION_PREFIX}${revision}` };
  } catch (error) {
    throw toTraceError(error, `publishing a version of ${functionName}`);
  }
}

/** The version each alias names now (functions or aliases that do not exist are left out). */
export async function aliasVersions(lambda: Lambda, targets: readonly VersionedFunction[], signal?: AbortSignal) {
  const found: Record<string, string> = {};
  for (const t of targets) {
    // A function that does not exist yet (first deploy) has no alias: nothing to compare against.
    const alias = await getAlias(lambda, t.functionName, t.alias, signal);
    if (alias?.FunctionVersion) found[t.functionName] = alias.FunctionVersion;
  }
  return found;
}
