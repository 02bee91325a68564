/**
 * `trace local streams`: resolves the deployed stream ARNs and runs the stream consumers once, or
 * repeatedly until interrupted. The handlers are passed in (built from lambda/ by the caller), so
 * core never depends on the Lambda entry points.
 */
import { join } from "node:path";
import type { AwsClients } from "../core/aws/clients";
import type { EnvironmentConfig } from "../core/config";
import { isAbortError } from "../core/errors";
import type { Reporter } from "../core/reporter";
import { resolveOutputs } from "../core/resources";
import { sleep } from "../core/sleep";
import { functionSpec, type OutputKey } from "../core/stacks";
import { archiveConsumer, type BusEventHandler, mappingConsumer, type StreamBatchHandler } from "./consumers";
import { readDeliverySettings } from "./delivery-settings";
import { sqsFailureSink } from "./failure-records";
import type { InvokeTarget } from "./function-runner";
import { type ConsumerResult, pumpStreams, type StreamConsumer } from "./pump";
import { stateDir } from "./state";

export interface LocalHandlers {
  /** `target`: the alias the event source mapping invokes. */
  audit(deps: { auditTableName: string; target: InvokeTarget }): StreamBatchHandler;
  /** `target`: the alias the bus rule invokes. */
  archive(deps: { bucket: string; kmsKeyArn: string; target: InvokeTarget }): BusEventHandler;
}

export interface LocalStreamsOptions {
  clients: AwsClients;
  env: Pick<EnvironmentConfig, "stage" | "archivedTables">;
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

/**
 * Builds the consumers from the deployed stacks' outputs and the delivery settings in the
 * templates (batch size, retries, bisect, filters, failure queues).
 */
export async function localConsumers(
  options: Pick<LocalStreamsOptions, "clients" | "env" | "handlers" | "root" | "templatesDir" | "signal">,
): Promise<StreamConsumer[]> {
  const { clients, env, handlers } = options;
  await clients.loadMore(); // streams and SQS
  const settings = readDeliverySettings(options.templatesDir ?? join(options.root, "cloudformation"));
  const queues = [settings.audit.onFailureQueueOutput, settings.archive.functionDeadLetterQueueOutput].filter(
    (k): k is OutputKey => k !== undefined,
  );
  const outputs: Record<string, string> = await resolveOutputs(clients.cloudformation, env, [
    "ConfigurationStreamArn",
    "TrazabilidadStreamArn",
    "AuditTableName",
    "AuditProducerAliasArn",
    "ArchiverFunctionName",
    "DataBucketName",
    "DataKeyArn",
    ...queues,
  ]);
  const sendFailure = sqsFailureSink(clients.sqs, options.signal);
  const onFailure = settings.audit.onFailureQueueOutput ? outputs[settings.audit.onFailureQueueOutput] : undefined;
  const deadLetter = settings.archive.functionDeadLetterQueueOutput ? outputs[settings.archive.functionDeadLetterQueueOutput] : undefined;
  const consumers: StreamConsumer[] = [
    mappingConsumer({
      name: "audit_producer",
      streamArn: outputs.ConfigurationStreamArn ?? "",
      functionArn: outputs.AuditProducerAliasArn ?? "",
      settings: settings.audit,
      handle: handlers.audit({ auditTableName: outputs.AuditTableName ?? "", target: aliasTarget(outputs.AuditProducerAliasArn ?? "") }),
      ...(onFailure ? { onFailureQueueUrl: onFailure } : {}),
      sendFailure,
    }),
  ];
  const archive = handlers.archive({
    bucket: outputs.DataBucketName ?? "",
    kmsKeyArn: outputs.DataKeyArn ?? "",
    target: { functionName: outputs.ArchiverFunctionName ?? "", qualifier: functionSpec("archiver").alias ?? "$LATEST" },
  });
  for (const table of env.archivedTables) {
    const parameter = ARCHIVED_STREAMS[table];
    const pipe = settings.pipes.find((p) => p.sourceParameter === parameter);
    if (!parameter || !pipe) continue;
    consumers.push(
      archiveConsumer({
        name: `archiver:${table}`,
        streamArn: outputs[parameter] ?? "",
        pipe,
        target: settings.archive,
        handle: archive,
        ...(deadLetter ? { deadLetterQueueUrl: deadLetter } : {}),
        sendFailure,
      }),
    );
  }
  return consumers;
}

/** The function and qualifier of an alias ARN (`arn:…:function:<name>:<alias>`). */
function aliasTarget(arn: string): InvokeTarget {
  const [, name = "", qualifier = "$LATEST"] = /:function:([^:]+)(?::([^:]+))?$/.exec(arn) ?? [];
  return { functionName: name, qualifier };
}

/** Runs the consumers once (or until interrupted with `follow`), summing what each handled. */
export async function runLocalStreams(options: LocalStreamsOptions): Promise<LocalStreamsResult> {
  const consumers = await localConsumers(options);
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
