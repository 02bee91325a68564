/**
 * What every hop of `trace smoke` shares: the names it touches (stack outputs, templates), waiting
 * for the wiring with the driver delivering, timing a hop, and saying where to look when one fails.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { VersionedFunction } from "../deploy/revisions";
import { environmentFunctions } from "../deploy/rollback";
import { evaluate, type Json, parseTemplateDocument } from "../deploy/template-values";
import { readTemplate } from "../deploy/templates";
import { toTraceError } from "../errors";
import { resolveOutputs } from "../resources";
import { sleep } from "../sleep";
import { configParameters } from "../stacks";
import type { HopVerdict, SmokeContext, SmokeHop, SmokeNames, SmokeOptions } from "./smoke-types";

/** A property of a template resource, evaluated with the environment's values (undefined when it cannot be). */
function templateName(options: SmokeOptions, stack: "traceability" | "archive", logicalId: string, property: string): string | undefined {
  const document = parseTemplateDocument(readTemplate(options.templatesDir, stack).body);
  const raw = document.Resources?.[logicalId]?.Properties?.[property] as Json | undefined;
  const value = raw === undefined ? undefined : evaluate(document, raw, { parameters: configParameters(options.env) });
  return typeof value === "string" ? value : undefined;
}

/** The names the hops touch; a stack not deployed is a not-found error naming it. */
export async function smokeNames(options: SmokeOptions): Promise<SmokeNames> {
  const outputs = await resolveOutputs(options.clients.cloudformation, options.env, [
    "ConfigurationTableName",
    "AuditTableName",
    "AuditHistoryIndexName",
    "TrazabilidadTableName",
    "DataBucketName",
    "PipeDeadLetterQueueUrl",
    "ArchiveDeadLetterQueueUrl",
    "ExportDeadLetterQueueUrl",
  ]);
  const functions = environmentFunctions(options.env, options.templatesDir);
  const fn = (id: VersionedFunction["id"]) => functions.find((f) => f.id === id) as VersionedFunction;
  return {
    configurationTable: outputs.ConfigurationTableName,
    auditTable: outputs.AuditTableName,
    auditIndex: outputs.AuditHistoryIndexName,
    trazabilidadTable: outputs.TrazabilidadTableName,
    bucket: outputs.DataBucketName,
    queues: { pipes: outputs.PipeDeadLetterQueueUrl, archive: outputs.ArchiveDeadLetterQueueUrl, export: outputs.ExportDeadLetterQueueUrl },
    functions: { export: fn("export"), auditProducer: fn("auditProducer"), archiver: fn("archiver") },
    scheduleName: templateName(options, "traceability", "ExportSchedule", "Name"),
    pipes: {
      TRAZABILIDAD: templateName(options, "archive", "TrazabilidadArchivePipe", "Name") ?? "",
      Configuration: templateName(options, "archive", "ConfigurationArchivePipe", "Name") ?? "",
    },
  };
}

/**
 * Looks until `probe` finds something or the hop's time is up; on the emulator the driver delivers
 * what the wiring would (one round of local streams) before each look.
 */
export async function waitFor<T>(ctx: SmokeContext, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    await ctx.driver.deliver();
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() >= deadline) return undefined;
    await sleep(ctx.pollMs, ctx.signal);
  }
}

/** The outcome of a hop's work, before it is timed. */
export interface HopOutcome {
  verdict: HopVerdict;
  detail: string;
  lookAt?: string[];
}

/** Runs one hop, timing it; an error fails the hop (with where to look) instead of the run. */
export async function timedHop(
  hop: string,
  lookAt: () => Promise<string[]>,
  work: () => Promise<HopOutcome>,
  onHop?: (hop: SmokeHop) => void,
): Promise<SmokeHop> {
  const start = performance.now();
  let outcome: HopOutcome;
  try {
    outcome = await work();
  } catch (error) {
    outcome = { verdict: "fail", detail: toTraceError(error).message };
  }
  const result: SmokeHop = { hop, verdict: outcome.verdict, ms: Math.round(performance.now() - start), detail: outcome.detail };
  if (outcome.verdict === "fail") result.lookAt = [...(outcome.lookAt ?? []), ...(await lookAt().catch(() => []))];
  onHop?.(result);
  return result;
}

/** A queue, with how many messages wait in it (a dead-letter queue that is not empty says why). */
export async function queueNote(ctx: SmokeContext, what: string, url: string): Promise<string> {
  try {
    const { Attributes } = await ctx.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    return `${what} ${url} (${Attributes?.ApproximateNumberOfMessages ?? "?"} message(s))`;
  } catch {
    return `${what} ${url}`;
  }
}

export const logGroupNote = (fn: VersionedFunction) => `log group /aws/lambda/${fn.functionName}`;
