/**
 * `trace local streams`: resolves the deployed stream ARNs and runs the stream consumers once, or
 * repeatedly until interrupted. The handlers are passed in (built from lambda/ by the caller), so
 * core never depends on the Lambda entry points.
 */
import { join } from "node:path";
import type { AwsClients } from "../core/aws/clients";
import type { EnvironmentConfig } from "../core/config";
import { ErrorCode, isAbortError, TraceError } from "../core/errors";
import { runStamper } from "../core/export/stamp/run";
import type { Reporter } from "../core/reporter";
import { resolveOutputs } from "../core/resources";
import { sleep } from "../core/sleep";
import { functionSpec, type OutputKey } from "../core/stacks";
import { mappingConsumer, type StreamBatchHandler } from "./consumers";
import { type PipeSettings, pipeName, readDeliverySettings, type StreamMappingSettings } from "./delivery-settings";
import { localMappingUuid, s3FailureSink, sqsFailureSink } from "./failure-records";
import type { InvokeTarget } from "./function-runner";
import { type BusEventHandler, type EnrichmentHandler, pipeConsumer } from "./pipe-consumer";
import { type ConsumerResult, pumpStreams, type StreamConsumer } from "./pump";
import { stateDir } from "./state";

export interface LocalHandlers {
  /** `target`: the alias the event source mapping invokes. */
  audit(deps: { auditTableName: string; target: InvokeTarget }): StreamBatchHandler;
  /** `target`: the alias the bus rule invokes. */
  archive(deps: { bucket: string; kmsKeyArn: string; target: InvokeTarget }): BusEventHandler;
  /** archive_claims, the archive pipes' enrichment (`target`: the function the pipes invoke). */
  claims(deps: { bucket: string; kmsKeyArn: string; target: InvokeTarget }): EnrichmentHandler;
}

export interface LocalStreamsOptions {
  clients: AwsClients;
  env: Pick<EnvironmentConfig, "stage" | "prefix" | "archivedTables" | "dayIndex" | "timeZone" | "retentionDays">;
  root: string;
  handlers: LocalHandlers;
  reporter: Reporter;
  signal: AbortSignal;
  /** Where the templates are read from (delivery settings); default `<root>/cloudformation`. */
  templatesDir?: string;
  /** Keep polling every `intervalMs` until interrupted. */
  follow?: boolean;
  intervalMs?: number;
}

export interface LocalStreamsResult {
  rounds: number;
  consumers: ConsumerResult[];
  checkpointFile: string;
}

/** Where the local checkpoints of an environment live. */
export const checkpointFile = (root: string, stage: string) => join(stateDir(root), `checkpoints-${stage}.json`);

/** The stream parameter each archive Pipe reads, per archived table (config `archivedTables`). */
const ARCHIVED_STREAMS: Record<string, "TrazabilidadStreamArn" | "ConfigurationStreamArn"> = {
  TRAZABILIDAD: "TrazabilidadStreamArn",
  Configuration: "ConfigurationStreamArn",
};

/** The outputs an on-failure destination, a dead-letter queue or the pipes need. */
function neededOutputs(audit: StreamMappingSettings, pipes: PipeSettings[], functionDlq: OutputKey | undefined): OutputKey[] {
  const keys: (OutputKey | undefined)[] = [audit.onFailure?.output, functionDlq, ...pipes.map((p) => p.deadLetterQueueOutput)];
  return [...new Set(keys.filter((k): k is OutputKey => k !== undefined))];
}

/** `arn:aws:pipes:<region>:<account>:pipe/<name>`, in the stream's region and account. */
const pipeArnFor = (streamArn: string, name: string) => {
  const [, partition = "aws", , region = "", account = ""] = streamArn.split(":");
  return `arn:${partition}:pipes:${region}:${account}:pipe/${name}`;
};

/**
 * Builds the consumers from the deployed stacks' outputs and the delivery settings in the
 * templates (batch size, retries, bisect, filters, enrichment, failure destinations).
 */
export async function localConsumers(
  options: Pick<LocalStreamsOptions, "clients" | "env" | "handlers" | "root" | "templatesDir" | "signal">,
): Promise<StreamConsumer[]> {
  const { clients, env, handlers } = options;
  await clients.loadMore(); // streams and SQS
  const settings = readDeliverySettings(options.templatesDir ?? join(options.root, "cloudformation"));
  const outputs: Record<string, string> = await resolveOutputs(clients.cloudformation, env, [
    "ConfigurationStreamArn",
    "TrazabilidadStreamArn",
    "AuditTableName",
    "AuditProducerAliasArn",
    "ArchiverFunctionName",
    "DataBucketName",
    "DataKeyArn",
    ...neededOutputs(settings.audit, settings.pipes, settings.archive.functionDeadLetterQueueOutput),
  ]);
  const sendFailure = sqsFailureSink(clients.sqs, options.signal);
  const at = (key: OutputKey | undefined) => (key ? outputs[key] : undefined);
  const streamArn = outputs.ConfigurationStreamArn ?? "";
  const functionArn = outputs.AuditProducerAliasArn ?? "";
  const failure = settings.audit.onFailure;
  const onFailure =
    failure?.type === "sqs"
      ? { type: "sqs" as const, queueUrl: at(failure.output) ?? "" }
      : failure?.type === "s3"
        ? { type: "s3" as const, bucket: at(failure.output) ?? "", mappingUuid: localMappingUuid(functionArn, streamArn) }
        : undefined;
  const consumers: StreamConsumer[] = [
    mappingConsumer({
      name: "audit_producer",
      streamArn,
      functionArn,
      settings: settings.audit,
      handle: handlers.audit({ auditTableName: outputs.AuditTableName ?? "", target: aliasTarget(outputs.AuditProducerAliasArn ?? "") }),
      ...(onFailure ? { onFailure } : {}),
      sendFailure,
      putFailure: s3FailureSink(clients.s3, options.signal),
    }),
  ];
  const data = { bucket: outputs.DataBucketName ?? "", kmsKeyArn: outputs.DataKeyArn ?? "" };
  const archive = handlers.archive({
    ...data,
    target: { functionName: outputs.ArchiverFunctionName ?? "", qualifier: functionSpec("archiver").alias ?? "$LATEST" },
  });
  const deadLetter = at(settings.archive.functionDeadLetterQueueOutput);
  for (const table of env.archivedTables) {
    const parameter = ARCHIVED_STREAMS[table];
    const pipe = settings.pipes.find((p) => p.sourceParameter === parameter);
    if (!parameter || !pipe) continue;
    const source = outputs[parameter] ?? "";
    const pipeDeadLetter = at(pipe.deadLetterQueueOutput);
    consumers.push(
      pipeConsumer({
        name: `archiver:${table}`,
        streamArn: source,
        pipe,
        pipeArn: pipeArnFor(source, pipeName(pipe, env.stage)),
        target: settings.archive,
        ...(pipe.enrichment ? { enrich: enrichmentHandler(handlers, pipe, data, env.prefix) } : {}),
        handle: archive,
        ...(pipeDeadLetter ? { pipeDeadLetterQueueUrl: pipeDeadLetter } : {}),
        ...(deadLetter ? { deadLetterQueueUrl: deadLetter } : {}),
        sendFailure,
      }),
    );
  }
  return consumers;
}

/**
 * The day stamper, which the deployed stack runs every minute on a schedule the emulator never
 * fires: one run of the same core per round (it reads the stream itself, from its ledger's
 * positions). Undefined when the environment has no day index.
 */
async function localStamper(options: LocalStreamsOptions): Promise<(() => Promise<ConsumerResult>) | undefined> {
  if (!options.env.dayIndex) return undefined;
  const { clients, env } = options;
  const names = await resolveOutputs(clients.cloudformation, env, ["TrazabilidadTableName", "DataBucketName", "DataKeyArn"]);
  const config = {
    table: names.TrazabilidadTableName,
    bucket: names.DataBucketName,
    kmsKeyId: names.DataKeyArn,
    timeZone: env.timeZone,
    retentionDays: env.retentionDays,
  };
  return async () => {
    const r = await runStamper(clients, config, { reporter: options.reporter, signal: options.signal });
    return { name: "stamper", read: r.read, handled: r.read, failed: r.retry ? 1 : 0, discarded: r.failed, failures: [] };
  };
}

/** The local handler of a pipe's enrichment function. */
function enrichmentHandler(
  handlers: LocalHandlers,
  pipe: PipeSettings,
  data: { bucket: string; kmsKeyArn: string },
  prefix: string,
): EnrichmentHandler {
  if (pipe.enrichment === "archiveClaims")
    return handlers.claims({
      ...data,
      target: { functionName: `${prefix}archive_claims`, qualifier: functionSpec("archiveClaims").alias ?? "$LATEST" },
    });
  throw new TraceError(ErrorCode.config, `pipe ${pipe.logicalId}'s enrichment ${pipe.enrichment} has no local handler`, {
    hint: "add it to LocalHandlers (src/local/streams-run.ts, local-handlers.ts)",
  });
}

/** The function and qualifier of an alias ARN (`arn:…:function:<name>:<alias>`). */
function aliasTarget(arn: string): InvokeTarget {
  const [, name = "", qualifier = "$LATEST"] = /:function:([^:]+)(?::([^:]+))?$/.exec(arn) ?? [];
  return { functionName: name, qualifier };
}

/** Runs the consumers once (or until interrupted with `follow`), summing what each handled. */
export async function runLocalStreams(options: LocalStreamsOptions): Promise<LocalStreamsResult> {
  const consumers = await localConsumers(options);
  const stamper = await localStamper(options);
  const file = checkpointFile(options.root, options.env.stage);
  const totals = new Map<string, ConsumerResult>();
  let rounds = 0;
  do {
    const results = await pumpStreams({
      streams: options.clients.streams,
      consumers,
      checkpointFile: file,
      reporter: options.reporter,
      signal: options.signal,
    });
    if (stamper) results.push(await stamper());
    rounds++;
    for (const r of results) {
      const sum = totals.get(r.name) ?? { name: r.name, read: 0, handled: 0, failed: 0, discarded: 0, failures: [] };
      totals.set(r.name, {
        name: r.name,
        read: sum.read + r.read,
        handled: sum.handled + r.handled,
        failed: sum.failed + r.failed,
        discarded: sum.discarded + r.discarded,
        failures: [...sum.failures, ...r.failures],
      });
      if (options.follow && r.read > 0) options.reporter.info(`${r.name}: ${r.handled}/${r.read} record(s) handled`);
    }
    if (!options.follow) break;
    try {
      await sleep(options.intervalMs ?? 2000, options.signal);
    } catch (error) {
      // Ctrl-C between rounds ends --follow with what was handled so far.
      if (options.signal.aborted || isAbortError(error)) break;
      throw error;
    }
  } while (!options.signal.aborted);
  return { rounds, consumers: [...totals.values()], checkpointFile: file };
}
