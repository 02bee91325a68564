/**
 * The contract between the CloudFormation templates (cloudformation/<stack>.yaml), the deploy
 * engine, the Lambda handlers and the commands that look resources up: stack names and order,
 * the outputs each stack declares, and the environment variables each function receives.
 * Templates stay the single source of truth for resources; this file only names the seams.
 */
import type { EnvironmentConfig } from "./config";

/**
 * Deploy order; destroy goes in reverse. Bootstrap is per account and region, the rest per stage.
 * `dr` lives in the environment's drRegion (and exists only when one is set): the base stack's
 * backup plan copies to its vault, so it comes before base. `drill` (the scheduled recovery
 * rehearsal) drills the traceability stack's table.
 */
export const STACKS = ["bootstrap", "dr", "base", "traceability", "audit", "archive", "drill"] as const;
export type StackId = (typeof STACKS)[number];

export function stackName(env: Pick<EnvironmentConfig, "stage">, stack: StackId): string {
  return stack === "bootstrap" ? "trace-bootstrap" : `trace-${env.stage}-${stack}`;
}

/** The stacks an environment has, in deploy order: `dr` only with a drRegion. */
export function stacksOf(env: Pick<EnvironmentConfig, "drRegion">): StackId[] {
  return STACKS.filter((s) => s !== "dr" || env.drRegion !== undefined);
}

/** The region a stack lives in: the DR stack in drRegion, every other in the environment's region. */
export function stackRegion(env: Pick<EnvironmentConfig, "drRegion"> & { region: string }, stack: StackId): string {
  return stack === "dr" && env.drRegion ? env.drRegion : env.region;
}

/**
 * Outputs each stack declares. A later stack receives earlier stacks' outputs as parameters of
 * the same name (e.g. traceability takes `DataBucketName`, `DataKeyArn`, `AlarmTopicArn`).
 */
export const STACK_OUTPUTS = {
  bootstrap: ["ArtifactBucketName"],
  dr: ["DrBackupVaultName", "DrBackupVaultArn", "DrKeyArn", "DrBucketName", "DrRestoreRoleArn"],
  base: ["DataBucketName", "DataKeyArn", "DataKeyAlias", "AlarmTopicArn"],
  traceability: [
    "TrazabilidadTableName",
    "TrazabilidadStreamArn",
    "ExportFunctionName",
    "ExportDeadLetterQueueUrl",
    "NativeExportStateMachineArn",
  ],
  audit: [
    "ConfigurationTableName",
    "ConfigurationStreamArn",
    "AuditTableName",
    "AuditHistoryIndexName",
    "AuditProducerFunctionName",
    "AuditProducerAliasArn",
  ],
  archive: ["ArchiveBusName", "ArchiverFunctionName", "ArchiveDeadLetterQueueUrl", "PipeDeadLetterQueueUrl"],
  drill: ["DrillStateMachineArn", "DrillFunctionName"],
} as const satisfies Record<StackId, readonly string[]>;

export type OutputKey = (typeof STACK_OUTPUTS)[StackId][number];

/** The outputs of a stack the environment does not have (dr without a drRegion), each empty: what later stacks' parameters get. */
export const absentOutputs = (id: StackId): Record<string, string> => Object.fromEntries(STACK_OUTPUTS[id].map((key) => [key, ""]));

/** What deploy, rollback and status know of a Lambda handler. */
export interface FunctionSpec {
  /** Source file in lambda/. */
  source: string;
  /** The template parameter that receives the bundle's S3 key. */
  codeKeyParameter: string;
  stack: StackId;
  /**
   * Versioned functions: the parameter that receives the revision (code sha256 and configuration
   * hash; a new value publishes a version), and the alias every event source invokes.
   */
  revisionParameter?: string;
  alias?: string;
}

/** The Lambda handlers (docs/deploy.md, "Versions and rollback", says why each has its alias). */
export const FUNCTIONS = {
  export: {
    source: "lambda/export.ts",
    codeKeyParameter: "ExportCodeKey",
    stack: "traceability",
    revisionParameter: "ExportRevision",
    alias: "live",
  },
  exportNative: {
    source: "lambda/export-native.ts",
    codeKeyParameter: "ExportNativeCodeKey",
    stack: "traceability",
    revisionParameter: "ExportNativeRevision",
    alias: "live",
  },
  stamper: {
    source: "lambda/stamper.ts",
    codeKeyParameter: "StamperCodeKey",
    stack: "traceability",
    revisionParameter: "StamperRevision",
    alias: "live",
  },
  auditProducer: {
    source: "lambda/audit-producer.ts",
    codeKeyParameter: "AuditProducerCodeKey",
    stack: "audit",
    revisionParameter: "AuditProducerRevision",
    alias: "learn",
  },
  archiver: {
    source: "lambda/archiver.ts",
    codeKeyParameter: "ArchiverCodeKey",
    stack: "archive",
    revisionParameter: "ArchiverRevision",
    alias: "live",
  },
  archiveClaims: {
    source: "lambda/archive-claims.ts",
    codeKeyParameter: "ArchiveClaimsCodeKey",
    stack: "archive",
    revisionParameter: "ArchiveClaimsRevision",
    alias: "live",
  },
  archiveRedrive: {
    source: "lambda/archive-redrive.ts",
    codeKeyParameter: "ArchiveRedriveCodeKey",
    stack: "archive",
    revisionParameter: "ArchiveRedriveRevision",
    alias: "live",
  },
  drill: { source: "lambda/drill.ts", codeKeyParameter: "DrillCodeKey", stack: "drill", revisionParameter: "DrillRevision", alias: "live" },
} as const satisfies Record<string, FunctionSpec>;
export type FunctionId = keyof typeof FUNCTIONS;

/** A function's spec with its optional fields visible (entries without an alias are not versioned). */
export const functionSpec = (id: FunctionId): FunctionSpec => FUNCTIONS[id];

/** Environment variables the templates give each function, read by lambda/shared/runtime.ts. */
export const LAMBDA_ENV = {
  /** all functions */
  logLevel: "POWERTOOLS_LOG_LEVEL",
  serviceName: "POWERTOOLS_SERVICE_NAME",
  /** The handlers' metrics namespace (lambda/shared/metrics.ts): `trace/<stage>`. */
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
  /** export */
  tableName: "TABLE_NAME",
  bucketName: "BUCKET_NAME",
  kmsKeyArn: "KMS_KEY_ARN",
  timeZone: "TIME_ZONE",
  segments: "SCAN_SEGMENTS",
  spreadsheetSafe: "SPREADSHEET_SAFE",
  /** export (scheduled): the native path's state machine and the size above which it is chosen */
  nativeStateMachineArn: "NATIVE_STATE_MACHINE_ARN",
  nativeAboveRows: "NATIVE_ABOVE_ROWS",
  /** export (the re-export rule) and stamper (expiresAt of an item without one): the table's retention in days */
  retentionDaysOfTable: "TABLE_RETENTION_DAYS",
  /** export_native and export: late-write slack, in minutes (the incremental export's window; the index's watermark) */
  slackMinutes: "LATE_WRITE_SLACK_MINUTES",
  /** audit_producer */
  auditTableName: "AUDIT_TABLE_NAME",
  /** archiver (bucket and key as above) */
  retentionDays: "RETENTION_DAYS",
  /** archive_redrive (bucket and key as above): where pointers it cannot recover are kept */
  parkingQueueUrl: "PARKING_QUEUE_URL",
} as const;

/**
 * Template parameters filled from an environment's config, by name. Each template declares only
 * the ones it uses; the rest of a stack's parameters are earlier stacks' outputs (same names as
 * in STACK_OUTPUTS), `ArtifactBucketName` and the functions' code keys (FUNCTIONS).
 */
export function configParameters(env: EnvironmentConfig): Record<string, string> {
  return {
    Stage: env.stage,
    Prefix: env.prefix,
    TimeZone: env.timeZone,
    ExportHour: String(env.exportHour),
    RetentionDays: String(env.retentionDays),
    LogRetentionDays: String(env.logRetentionDays),
    ExportSegments: String(env.exportSegments),
    ExportSpreadsheetSafe: String(env.spreadsheetSafe),
    ExportEphemeralStorageMiB: String(env.exportEphemeralStorageMiB),
    DayIndex: String(env.dayIndex),
    NativeExportAboveRows: String(env.nativeExportAboveRows ?? 0),
    LateWriteSlackMinutes: String(env.lateWriteSlackMinutes),
    ...lateCheckParameters(env),
    PermissionsBoundaryArn: env.permissionsBoundaryArn ?? "",
    AlarmEmail: env.alarmEmail ?? "",
    EnableBackups: String(env.backups),
    ReplicateData: String(env.replicateData),
    DrillSchedule: String(env.drillSchedule),
    ArchiveTrazabilidad: String(env.archivedTables.includes("TRAZABILIDAD")),
    ArchiveConfiguration: String(env.archivedTables.includes("Configuration")),
    StreamTriggers: String(env.streamTriggers),
  };
}

/**
 * The late check's parameters: `ExportLateAfterMinutes` (the config key) and the wall-clock time
 * it comes to in TimeZone, which the template's cron needs (CloudFormation has no arithmetic).
 */
function lateCheckParameters(env: Pick<EnvironmentConfig, "exportHour" | "exportLateAfterMinutes">): Record<string, string> {
  const total = env.exportHour * 60 + env.exportLateAfterMinutes;
  return {
    ExportLateAfterMinutes: String(env.exportLateAfterMinutes),
    ExportLateCheckHour: String(Math.floor(total / 60) % 24),
    ExportLateCheckMinute: String(total % 60),
  };
}
