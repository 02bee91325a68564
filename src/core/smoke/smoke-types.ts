/** The shapes `trace smoke` works with: its hops, its result, and what it runs against. */
import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SchedulerClient } from "@aws-sdk/client-scheduler";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { ResolvedEnvironment } from "../config";
import type { VersionedFunction } from "../deploy/revisions";
import type { Reporter } from "../reporter";

export type HopVerdict = "pass" | "fail" | "skip";

/** One hop of the deployed wiring, proven (or not) on the account. */
export interface SmokeHop {
  hop: string;
  verdict: HopVerdict;
  ms: number;
  /** What was seen. */
  detail: string;
  /** Where to look when it failed: log groups, queues (with their depth), resources. */
  lookAt?: string[];
}

export interface SmokeResult {
  environment: string;
  region: string;
  /** The canaries' names carry it: `trace-smoke-<runId>`. */
  runId: string;
  hops: SmokeHop[];
  /** Every hop passed or was skipped. */
  passed: boolean;
}

/** A function's alias to invoke. */
export interface SmokeTarget {
  functionName: string;
  qualifier: string;
}

/**
 * How the hops reach what runs on the account: on AWS the deployed Pipe, mapping and rule deliver
 * by themselves and Lambda runs the functions; on the emulator local mode stands in for both.
 */
export interface SmokeDriver {
  /** An emulator: a resource its CloudFormation does not create is `skip`, not `fail`. */
  emulator: boolean;
  /** Gives the event sources a turn (the emulator: one round of `trace local streams`; AWS: nothing). */
  deliver(): Promise<void>;
  /** Invokes a function's alias synchronously; resolves to its result, rejects with its error. */
  invoke(target: SmokeTarget, payload: unknown): Promise<unknown>;
  close(): Promise<void>;
}

type Send<T extends { send: unknown }> = Pick<T, "send">;

export interface SmokeClients {
  cloudformation: CloudFormationClient;
  dynamodb: Send<DynamoDBClient>;
  s3: Send<S3Client>;
  sqs: Send<SQSClient>;
  lambda: Send<LambdaClient>;
  scheduler: Send<SchedulerClient>;
}

/** What the hops touch, from the stacks' outputs and the templates. */
export interface SmokeNames {
  configurationTable: string;
  auditTable: string;
  auditIndex: string;
  trazabilidadTable: string;
  bucket: string;
  /** The pipes' dead-letter queue (pointers into the stream), the archive's own, the export's. */
  queues: { pipes: string; archive: string; export: string };
  functions: { export: VersionedFunction; auditProducer: VersionedFunction; archiver: VersionedFunction };
  scheduleName: string | undefined;
  /** Pipe name by archived seed table. */
  pipes: Record<string, string>;
}

export interface SmokeOptions {
  env: ResolvedEnvironment;
  clients: SmokeClients;
  driver: SmokeDriver;
  templatesDir: string;
  reporter: Reporter;
  signal?: AbortSignal;
  /** How long each hop may wait for the wiring (default 120 s). */
  timeoutMs?: number;
  /** Between two looks (default 2 s; the emulator delivers at each look). */
  pollMs?: number;
  /** Shown as each hop ends. */
  onHop?(hop: SmokeHop): void;
}

/** What one run works with. */
export interface SmokeContext extends Required<Pick<SmokeOptions, "env" | "clients" | "driver" | "reporter">> {
  names: SmokeNames;
  runId: string;
  /** The canaries' key value: `trace-smoke-<runId>`. */
  canary: string;
  timeoutMs: number;
  pollMs: number;
  signal?: AbortSignal;
}
