/** The shapes deploy and diff exchange with their callers (the CLI renders them). */
import type { Stack } from "@aws-sdk/client-cloudformation";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ResolvedEnvironment } from "../config";
import type { Reporter } from "../reporter";
import type { FunctionId, StackId } from "../stacks";
import type { AliasState, Lambda } from "./aliases";
import type { Artifact, PublishedArtifact } from "./artifacts";
import type { ChangeRow, ParameterChange } from "./change-sets";
import type { DeployEvent } from "./events";
import type { ForecastClients, ForecastResult } from "./forecast";
import type { DataLossChange } from "./replacements";
import type { Backoff, CloudFormation } from "./stack-state";
import type { StackTemplate } from "./templates";

export interface StackPreview {
  stack: StackId;
  stackName: string;
  changeSetType: "CREATE" | "UPDATE";
  changes: ChangeRow[];
  /** Why the preview is approximate, when it is (e.g. read from the template). */
  note?: string;
}

/** How a caller shows what deploy does as it goes; core formats none of it (absent: not shown). */
export interface DeployHooks {
  /** Shows a change set (the CLI renders a coloured table). */
  changeSet?(preview: StackPreview): void;
  event?(stackName: string, event: DeployEvent): void;
  /** Shows the forecast (the CLI renders a table). */
  forecast?(result: ForecastResult): void;
  /** Shows the Lambda bundles built for this run (rebuilt or reused from the cache) and their sizes. */
  bundled?(artifacts: readonly Artifact[]): void;
}

export interface DeployOptions {
  env: ResolvedEnvironment;
  cloudformation: CloudFormation;
  /** CloudFormation in another region (the DR stack's, in drRegion); needed when the environment has a drRegion. */
  cloudformationIn?: (region: string) => CloudFormation;
  s3: Pick<S3Client, "send">;
  /** Stacks asked for; empty means all. Bootstrap is added when missing. */
  stacks: readonly StackId[];
  templatesDir: string;
  /** The package root: handlers are bundled from `<root>/lambda`. */
  root: string;
  /** false: preview only (`trace diff`), nothing is published or executed. */
  execute: boolean;
  reporter: Reporter;
  signal?: AbortSignal;
  hooks?: DeployHooks;
  backoff?: Backoff;
  /** Logical ids whose replacement or removal is let through (`--allow-replacement`); others are refused. */
  allowReplacement?: readonly string[];
  /** Clients for the forecast run before anything is created; absent: no forecast (`--no-forecast`, the demo). */
  forecast?: ForecastClients;
  /** Reads (and, where the endpoint's CloudFormation skips them, sets) the functions' aliases after each stack; absent: not checked. */
  lambda?: Lambda;
  /** Finds the retained tables of a stack about to be created, to import them (with `s3` for the buckets); absent: not looked for. */
  dynamodb?: Pick<DynamoDBClient, "send">;
  /** The account deployed to (names such as the data bucket's carry it), read once when needed. */
  accountId?: () => Promise<string | undefined>;
}

export type StackOutcome = "created" | "updated" | "replaced" | "no-changes" | "would-change" | "would-create";

export interface StackResult {
  stack: StackId;
  stackName: string;
  outcome: StackOutcome;
  /** Resource changes, then one row per parameter whose value changes (type "Parameter"). */
  changes: ChangeRow[];
  /** The parameters whose value changes. */
  parameters: ParameterChange[];
  /** Replacements and removals of tables, buckets, keys and log groups (allowed or not). */
  dataLoss: DataLossChange[];
  status: string | undefined;
  outputs: Record<string, string>;
  durationMs?: number;
  /** Why a preview is approximate (read from the template). */
  note?: string;
  /** The versioned functions' aliases after the stack was applied (deploy with a Lambda client). */
  aliases?: AliasState[];
}

export interface ArtifactResult {
  function: FunctionId;
  name: string;
  key: string;
  bundleBytes: number;
  zipBytes: number;
  uploaded: boolean;
}

export interface DeployResult {
  environment: string;
  region: string;
  stacks: StackResult[];
  artifacts: ArtifactResult[];
  /** How many artifacts were uploaded (0 on a no-op redeploy). */
  uploaded: number;
  /** The forecast run before the deploy, when one was. */
  forecast?: ForecastResult;
  /** Every versioned function's alias after the deploy (what it names, what it named before). */
  aliases: AliasState[];
}

/** One stack of a deploy run, as deploy() hands it to deployStack(). */
export interface StackStep {
  options: DeployOptions;
  id: StackId;
  name: string;
  template: StackTemplate;
  existing: Stack | undefined;
  /** Outputs of the stacks before it (it may need some as parameters). */
  outputs: Record<string, string>;
  /** Artifacts published so far in this run; the stack's own are added. */
  published: PublishedArtifact[];
  ensureBuilt(): Promise<Map<FunctionId, Artifact>>;
  showPreview(preview: StackPreview): void;
}
