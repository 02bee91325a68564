/**
 * `trace local streams`: resolves the deployed stream ARNs and runs the stream consumers once, or
 * repeatedly until interrupted. The handlers are passed in (built from lambda/ by the caller), so
 * core never depends on the Lambda entry points.
 */
import { join } from "node:path";
import type { AwsClients } from "../aws/clients";
import type { EnvironmentConfig } from "../config";
import { isAbortError } from "../errors";
import type { Reporter } from "../reporter";
import { resolveOutputs } from "../resources";
import { sleep } from "../sleep";
import { type BusEventHandler, batchConsumer, pipeConsumer, type StreamBatchHandler } from "./consumers";
import { stateDir } from "./manage";
import { type ConsumerResult, pumpStreams, type StreamConsumer } from "./pump";

export interface LocalHandlers {
  audit(deps: { auditTableName: string }): StreamBatchHandler;
  archive(deps: { bucket: string; kmsKeyArn: string }): BusEventHandler;
}

export interface LocalStreamsOptions {
  clients: AwsClients;
  env: Pick<EnvironmentConfig, "stage" | "archivedTables">;
  root: string;
  handlers: LocalHandlers;
  reporter: Reporter;
  signal: AbortSignal;
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

/** Builds the consumers from the deployed stacks' outputs. */
export async function localConsumers(options: Pick<LocalStreamsOptions, "clients" | "env" | "handlers">): Promise<StreamConsumer[]> {
  const { clients, env, handlers } = options;
  const outputs = await resolveOutputs(clients.cloudformation, env, [
    "ConfigurationStreamArn",
    "TrazabilidadStreamArn",
    "AuditTableName",
    "DataBucketName",
    "DataKeyArn",
  ]);
  const archive = handlers.archive({ bucket: outputs.DataBucketName, kmsKeyArn: outputs.DataKeyArn });
  const consumers: StreamConsumer[] = [
    batchConsumer("audit_producer", outputs.ConfigurationStreamArn, handlers.audit({ auditTableName: outputs.AuditTableName })),
  ];
  const archived: Record<string, string> = { TRAZABILIDAD: outputs.TrazabilidadStreamArn, Configuration: outputs.ConfigurationStreamArn };
  for (const table of env.archivedTables) {
    const arn = archived[table];
    if (arn) consumers.push(pipeConsumer(`archiver:${table}`, arn, archive));
  }
  return consumers;
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
      const sum = totals.get(r.name) ?? { name: r.name, read: 0, handled: 0, failed: 0 };
      totals.set(r.name, { name: r.name, read: sum.read + r.read, handled: sum.handled + r.handled, failed: sum.failed + r.failed });
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
