// The handlers' own metrics, with Powertools Metrics: each call writes one CloudWatch embedded
// metric format (EMF) line to stdout, which CloudWatch Logs turns into metrics; no API call and no
// cloudwatch:PutMetricData permission ("Specification: Embedded metric format",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
// Powertools writes them with its own Console on process.stdout, not the global console that
// Lambda's JSON log format wraps, so the line reaches the log group as the bare EMF object.
//
// A new handler adopts it in one line: `const metrics = createMetrics("my_service");`, then
// `emit(metrics, { Redrives: 3 })` where it has something to count. Every name is in METRICS, the
// one catalogue the dashboard and the alarms are checked against (test/unit/cloudformation/dashboard.test.ts).
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { LAMBDA_ENV } from "../../src/core/stacks";

/** The namespace when the variable is unset (tests, local runs). */
const DEFAULT_METRICS_NAMESPACE = "trace";

/**
 * Every metric a handler emits: its unit and the dimensions it carries besides `service` (the
 * function's POWERTOOLS_SERVICE_NAME, which Powertools adds to every metric).
 */
export const METRICS = {
  /** Rows of one day's CSV, at each commit (one line per day; metadata: date, complete). */
  ExportedRows: { unit: MetricUnit.Count, dimensions: ["readPath"] },
  /** Bytes of one day's CSV, at each commit. */
  ExportedBytes: { unit: MetricUnit.Bytes, dimensions: ["readPath"] },
  /** 1 when the export-late check finds the day's manifest missing or landed after the deadline, else 0. */
  ExportLate: { unit: MetricUnit.Count, dimensions: [] },
  /** A scheduled export run (or a native task) that failed. */
  ExportFailures: { unit: MetricUnit.Count, dimensions: [] },
  /** Audit entries written to the Audit table (duplicates of a replayed record are not counted). */
  AuditEntriesWritten: { unit: MetricUnit.Count, dimensions: [] },
  /** Stream records audit_producer reported as failed (retried by the mapping, then sent on failure). */
  AuditRecordsFailed: { unit: MetricUnit.Count, dimensions: [] },
  /** Deletions written to the archive (an event already archived is not counted again). */
  DeletionsArchived: { unit: MetricUnit.Count, dimensions: [] },
  /** Events the archiver failed on (EventBridge retries them, then the dead-letter queue keeps them). */
  ArchiveFailures: { unit: MetricUnit.Count, dimensions: [] },
  /** Records the day stamper gave their `dia` in one run (from the stream and the sweep). */
  RecordsStamped: { unit: MetricUnit.Count, dimensions: [] },
  /** How far the stamper's watermark is behind the end of its run (absent while it has none). */
  StamperLagSeconds: { unit: MetricUnit.Seconds, dimensions: [] },
  /** Records listed as unable to take their `dia`, each kept whole (their days export by scan). */
  UnstampedRecords: { unit: MetricUnit.Count, dimensions: [] },
  /** Records stamped although created before the watermark published then (their day's export may lack them). */
  LateStamps: { unit: MetricUnit.Count, dimensions: [] },
  /** Pipe dead-letter pointers whose records archive_redrive read back from the stream and archived. */
  Redrives: { unit: MetricUnit.Count, dimensions: [] },
} as const;
export type MetricName = keyof typeof METRICS;
type DimensionOf<N extends MetricName> = (typeof METRICS)[N]["dimensions"][number];

/** The metrics of one function, namespace from POWERTOOLS_METRICS_NAMESPACE, `service` its service name. */
export function createMetrics(serviceName: string, env: NodeJS.ProcessEnv = process.env): Metrics {
  return new Metrics({
    namespace: env[LAMBDA_ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE,
    serviceName: env.POWERTOOLS_SERVICE_NAME || serviceName,
  });
}

/**
 * Writes one EMF line now: the values (catalogued names only, with their catalogued units), the
 * dimensions those metrics carry, and metadata (searchable in the log, not metrics).
 */
export function emit<N extends MetricName>(
  metrics: Metrics | undefined,
  values: { [K in N]?: number },
  dimensions: { [K in DimensionOf<N>]: string } = {} as { [K in DimensionOf<N>]: string },
  metadata: Record<string, string> = {},
): void {
  if (!metrics) return;
  for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value as string);
  for (const [key, value] of Object.entries(metadata)) metrics.addMetadata(key, value);
  for (const [name, value] of Object.entries(values) as [N, number | undefined][]) {
    if (value !== undefined) metrics.addMetric(name, METRICS[name].unit, value);
  }
  metrics.publishStoredMetrics();
}
