/**
 * The config file (`trace.config.yaml|yml|json`): named environments, validated with zod.
 * Resolution order for every value: flag > standard AWS variable > config file > default.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ErrorCode, TraceError, usageError } from "./errors";
import { EPHEMERAL_STORAGE_MIB } from "./export/spool-space";
import { readSettings } from "./settings";

/** Seed tables whose deletions can be archived: the archive stack has one Pipe for each. */
export const ARCHIVABLE_TABLES = ["TRAZABILIDAD", "Configuration"] as const;

export const CONFIG_FILE_NAMES = ["trace.config.yaml", "trace.config.yml", "trace.config.json"] as const;

/** The built-in environment used by `--local`: the emulator on loopback with dummy credentials. */
export const LOCAL_ENV_NAME = "local";
export const DEFAULT_LOCAL_PORT = 4599;

/** The shape of an AWS region name (eu-west-1, us-gov-west-1, ap-southeast-3). */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

const ianaZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: "an IANA time zone name such as Europe/Madrid or America/Bogota" },
);

/**
 * What a resource-name prefix may hold: it starts Lambda function names, which allow only
 * `[a-zA-Z0-9_-]` (AWS::Lambda::Function FunctionName; issue 23), and table and log group names.
 * Every template's `Prefix` parameter has the same AllowedPattern (test/unit/cloudformation).
 */
export const PREFIX_PATTERN = /^[A-Za-z0-9_-]{0,40}$/;

export const environmentSchema = z
  .object({
    stage: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, "lower-case letters, digits and dashes, 1-20 chars, starting with a letter"),
    region: z.string().regex(REGION_PATTERN, "an AWS region such as eu-west-1").optional(),
    profile: z.string().min(1).optional(),
    endpointUrl: z.url().optional(),
    prefix: z.string().regex(PREFIX_PATTERN, "letters, digits, '_', '-' (at most 40)").default(""),
    timeZone: ianaZone.default("UTC"),
    exportHour: z.number().int().min(0).max(23).default(19),
    retentionDays: z.number().int().min(1).max(365).default(7),
    logRetentionDays: z
      .union([
        z.literal(1),
        z.literal(3),
        z.literal(5),
        z.literal(7),
        z.literal(14),
        z.literal(30),
        z.literal(60),
        z.literal(90),
        z.literal(180),
        z.literal(365),
      ])
      .default(14),
    tags: z.record(z.string(), z.string()).default({}),
    permissionsBoundaryArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:policy\/.+$/, "an IAM policy ARN")
      .optional(),
    alarmEmail: z.email().optional(),
    protected: z.boolean().default(false),
    backups: z.boolean().default(false),
    /**
     * The disaster-recovery region: the DR stack (vault, key, replica bucket) is deployed there and
     * the backup plan copies every recovery point to its vault. Must differ from `region`.
     */
    drRegion: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-central-1")
      .optional(),
    /** Replicate the data bucket's exports/ and archive/ to the DR region's bucket (needs drRegion; costs: docs/recovery.md). */
    replicateData: z.boolean().default(false),
    /** A monthly unattended `trace drill` (restore, check, delete) with an alarm on failure. */
    drillSchedule: z.boolean().default(false),
    archivedTables: z
      .array(z.enum(ARCHIVABLE_TABLES))
      .min(1)
      .default([...ARCHIVABLE_TABLES]),
    exportSegments: z.number().int().min(1).max(64).default(4),
    /** Escape CSV cells a spreadsheet would read as a formula (OWASP); the export's default is verbatim. */
    spreadsheetSafe: z.boolean().default(false),
    /** The export function's /tmp, which holds the days' spools (a little more than their CSVs). */
    exportEphemeralStorageMiB: z
      .number()
      .int()
      .min(EPHEMERAL_STORAGE_MIB.min)
      .max(EPHEMERAL_STORAGE_MIB.max)
      .default(EPHEMERAL_STORAGE_MIB.default),
    /** The GSI dia-index on TRAZABILIDAD's day attribute, so the export queries the day instead of scanning. */
    dayIndex: z.boolean().default(true),
    /**
     * Estimated rows per day (DescribeTable ItemCount / retentionDays) above which the scheduled
     * export hands the days to the native export (DynamoDB export + Step Functions). Unset: never.
     */
    nativeExportAboveRows: z.number().int().min(1).optional(),
    /** How long after a day ends its records may still be written: the native export's window reaches this far. */
    lateWriteSlackMinutes: z.number().int().min(0).max(1440).default(15),
    /**
     * Minutes after the export hour by which the day's manifest must have landed: the ExportLate
     * alarm's check runs then, and `trace health` calls the run late after it.
     */
    exportLateAfterMinutes: z.number().int().min(5).max(1380).default(60),
    /** false: no stream event source mapping (the emulator cannot run it; `trace local streams` does). */
    streamTriggers: z.boolean().default(true),
  })
  .strict();

export const configFileSchema = z
  .object({
    defaultEnv: z.string().optional(),
    environments: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), environmentSchema),
  })
  .strict();

export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type ConfigFile = z.output<typeof configFileSchema>;

/** An environment with every value resolved; what the rest of the code works with. */
export interface ResolvedEnvironment extends EnvironmentConfig {
  name: string;
  region: string;
  /** Where the config came from, for messages ("built-in", or a path). */
  source: string;
}

export interface LoadedConfig {
  path: string | undefined;
  file: ConfigFile;
}

/** Finds the config file: an explicit path, TRACE_CONFIG, or trace.config.* in `cwd`. */
export function findConfigFile(cwd: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = explicit ?? readSettings(env).config;
  if (chosen) {
    const path = resolve(cwd, chosen);
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new TraceError(ErrorCode.config, `config file ${path} is a directory`, {
        hint: `name the file itself, e.g. --config ${join(chosen, CONFIG_FILE_NAMES[0])}`,
      });
    }
    if (!existsSync(path)) {
      throw new TraceError(ErrorCode.config, `config file ${path} does not exist`, {
        hint: "check --config / TRACE_CONFIG, or copy trace.config.example.yaml to trace.config.yaml",
      });
    }
    return path;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function describeFound(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path
      .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
      .join(".")
      .replace(/\.\[/g, "[") || "(top level)"
  );
}

/** Parses and validates config text; errors name the file, the key path, what was expected and what was found. */
export function parseConfig(text: string, path: string): ConfigFile {
  let raw: unknown;
  try {
    raw = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new TraceError(
      ErrorCode.config,
      `${path}: not valid ${path.endsWith(".json") ? "JSON" : "YAML"} (${(error as Error).message.split("\n")[0]})`,
      {
        hint: "fix the syntax; trace.config.example.yaml shows the expected shape",
        cause: error,
      },
    );
  }
  const result = configFileSchema.safeParse(raw ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue);
  if (problems.length === 0) throw new TraceError(ErrorCode.config, `${path}: invalid config`);
  const listed = problems.length === 1 ? ` ${problems[0]}` : ` ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
  throw new TraceError(ErrorCode.config, `${path}:${listed}`, {
    hint: "see trace.config.example.yaml for every key with its meaning",
  });
}

/** One validation problem as `key.path: expected …, found …`, in words (never zod's own text). */
function describeIssue(issue: z.core.$ZodIssue): string {
  const keyPath = formatPath(issue.path);
  const found = describeFound((issue as { input?: unknown }).input);
  const bound = issue as { maximum?: unknown; minimum?: unknown; inclusive?: boolean };
  switch (issue.code) {
    case "unrecognized_keys":
      return `${keyPath}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (only the documented keys are allowed)`;
    case "too_big":
      return `${keyPath}: expected ${issue.origin === "array" ? "at most " : "a number at most "}${String(bound.maximum)}${bound.inclusive === false ? " (exclusive)" : ""}, found ${found}`;
    case "too_small":
      return `${keyPath}: expected ${issue.origin === "array" ? "at least " : "a number at least "}${String(bound.minimum)}${issue.origin === "array" ? " item(s)" : ""}, found ${found}`;
    case "invalid_type":
      return `${keyPath}: expected ${issue.expected === "int" ? "a whole number" : `a ${issue.expected}`}, found ${found}`;
    case "invalid_value":
      return `${keyPath}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, found ${found}`;
    case "invalid_union": {
      const values = issue.errors.flat().flatMap((e) => (e.code === "invalid_value" ? e.values : []));
      const expected = values.length > 0 ? values.map((v) => JSON.stringify(v)).join(", ") : "the documented values";
      return `${keyPath}: expected one of ${expected}, found ${found}`;
    }
    default:
      return `${keyPath}: expected ${issue.message.replace(/^Invalid input: expected /, "").replace(/, received \w+$/, "")}, found ${found}`;
  }
}

export function loadConfig(cwd: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const path = findConfigFile(cwd, explicit, env);
  if (!path) return { path: undefined, file: { environments: {} } };
  return { path, file: parseConfig(readFileSync(path, "utf8"), path) };
}

export interface EnvironmentOverrides {
  env?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  local?: boolean;
}

/** The built-in `local` environment: everything pointed at the emulator on loopback. */
export function localEnvironment(env: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  const settings = readSettings(env);
  const port = Number(settings.localPort ?? DEFAULT_LOCAL_PORT);
  return environmentSchema.parse({
    stage: "local",
    region: "us-east-1",
    endpointUrl: settings.localEndpoint ?? `http://127.0.0.1:${port}`,
    prefix: "local-",
    timeZone: "Europe/Madrid",
    streamTriggers: false,
  });
}

/**
 * Picks the environment (flag, TRACE_ENV, the file's defaultEnv, the only one defined) and
 * applies overrides: flags first, then AWS_REGION / AWS_PROFILE / AWS_ENDPOINT_URL.
 */
export function resolveEnvironment(
  loaded: LoadedConfig,
  overrides: EnvironmentOverrides,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedEnvironment {
  const envs = loaded.file.environments;
  const names = Object.keys(envs);
  if (overrides.local && overrides.env !== undefined && overrides.env !== LOCAL_ENV_NAME) {
    throw usageError(
      `--local and --env ${overrides.env} name two environments`,
      `drop --env to use the local emulator, or drop --local to use "${overrides.env}"`,
    );
  }
  const wanted = overrides.local
    ? LOCAL_ENV_NAME
    : (overrides.env ?? readSettings(env).env ?? loaded.file.defaultEnv ?? (names.length === 1 ? names[0] : undefined));
  let base: EnvironmentConfig;
  let name: string;
  let source: string;
  if (wanted === undefined) {
    if (names.length > 1) {
      throw usageError(
        `several environments are defined in ${loaded.path} (${names.join(", ")}) and none was chosen`,
        "pass --env <name>, set TRACE_ENV, or set defaultEnv in the config file",
      );
    }
    // No config at all: a usable default so read-only commands work with plain AWS settings.
    base = environmentSchema.parse({ stage: "default" });
    name = "default";
    source = "built-in defaults (no trace.config.* found)";
  } else if (envs[wanted]) {
    base = envs[wanted];
    name = wanted;
    source = loaded.path ?? "config";
  } else if (wanted === LOCAL_ENV_NAME) {
    base = localEnvironment(env);
    name = LOCAL_ENV_NAME;
    source = "built-in local environment";
  } else {
    const known = [...names, `${LOCAL_ENV_NAME} (built-in)`].join(", ");
    throw new TraceError(
      ErrorCode.usage,
      `unknown environment "${wanted}"${loaded.path ? ` in ${loaded.path}` : " (no config file found)"}; known: ${known}`,
      {
        hint: "pass one of the known names to --env, or add it under `environments:` in the config file",
      },
    );
  }
  const isLocal = name === LOCAL_ENV_NAME;
  const region = overrides.region ?? (isLocal ? base.region : (env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? base.region));
  if (!region) {
    if (!loaded.path) {
      throw usageError(
        "no config file (trace.config.yaml, .yml or .json in this directory, or --config / TRACE_CONFIG) and no AWS region",
        "copy trace.config.example.yaml to trace.config.yaml and edit it, or pass --region / set AWS_REGION; for the local emulator use --local",
      );
    }
    throw usageError(
      `no AWS region for environment "${name}"`,
      "pass --region, set AWS_REGION, or set `region` for the environment in the config file",
    );
  }
  const regionFrom = overrides.region !== undefined ? "--region" : region === base.region ? `region of "${name}"` : "AWS_REGION";
  if (!REGION_PATTERN.test(region)) {
    throw usageError(`${regionFrom} ${JSON.stringify(region)} is not an AWS region name`, "pass one such as eu-west-1 or us-east-1");
  }
  checkDisasterRecovery(base, region, name);
  const profile = isLocal ? undefined : (overrides.profile ?? env.AWS_PROFILE ?? base.profile);
  const endpointUrl = overrides.endpointUrl ?? (isLocal ? base.endpointUrl : (env.AWS_ENDPOINT_URL ?? base.endpointUrl));
  if (endpointUrl !== undefined) checkEndpoint(endpointUrl, overrides.endpointUrl !== undefined ? "--endpoint-url" : "AWS_ENDPOINT_URL");
  return { ...base, name, source, region, profile, endpointUrl };
}

function checkEndpoint(url: string, from: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw usageError(
      `${from} ${JSON.stringify(url)} is not an http(s) URL`,
      "pass e.g. --endpoint-url http://127.0.0.1:4599 (or --local for the emulator)",
    );
  }
}

/** drRegion must be another region than the one the environment runs in; replicateData needs it. */
function checkDisasterRecovery(env: EnvironmentConfig, region: string, name: string): void {
  if (env.drRegion === region) {
    throw new TraceError(ErrorCode.config, `environment "${name}": drRegion ${env.drRegion} is the environment's own region`, {
      hint: "a copy in the same region survives nothing a region loses: set drRegion to another region, or remove it",
    });
  }
  if (env.replicateData && !env.drRegion) {
    throw new TraceError(ErrorCode.config, `environment "${name}": replicateData needs drRegion, the region to replicate to`, {
      hint: "set drRegion (e.g. eu-central-1), or set replicateData: false",
    });
  }
}

/** The physical name of a seed resource: `<prefix><name>`. */
export function physicalName(environment: Pick<EnvironmentConfig, "prefix">, seedName: string): string {
  return `${environment.prefix}${seedName}`;
}
