// Each handler's metrics as CloudWatch would receive them: the handler runs against the emulator
// with the Metrics instance it is deployed with, its stdout is captured, and every EMF line is
// checked against the embedded metric format specification (namespace, dimension sets naming
// top-level members, units from the catalogue, values) and against what the run did.
// Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
import { Logger } from "@aws-lambda-powertools/logger";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createHandler as archiverHandler } from "../../../lambda/archiver";
import { createHandler as auditHandler } from "../../../lambda/audit-producer";
import { configFromEnv, createLateCheck, createHandler as exportHandler } from "../../../lambda/export";
import { createHandler as nativeHandler } from "../../../lambda/export-native";
import { createMetrics, METRICS } from "../../../lambda/shared/metrics";
import { createHandler as stamperHandler } from "../../../lambda/stamper";
import { toPipeBusEvent } from "../../../src/core/archive/pipe-event";
import { silentReporter } from "../../../src/core/reporter";
import { readStream } from "../../../src/local/streams";
import { createAuditTables } from "../../support/audit-tables";
import { adapt, documentedRemoveRecord, documentedStreamEvent } from "../../support/aws-events";
import { emulatorClients } from "../../support/emulator";
import { createVersionedBucket as archiveBucket, createKmsKey } from "../archive/support";
import { createTable, createVersionedBucket, putItems, S, TEST_KEY_ARN } from "../export/support";

const NAMESPACE = "trace/emf-test";
const ENV = { POWERTOOLS_METRICS_NAMESPACE: NAMESPACE };
const UNITS = new Set([
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Count/Second",
  "None",
]);

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [member: string]: unknown;
}

/** The EMF lines a call writes to stdout (Powertools writes them there with its own Console). */
async function captureEmf(run: () => Promise<unknown>): Promise<EmfLine[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split("\n")
        .filter((l) => l.startsWith('{"_aws"')),
    );
    return true;
  });
  try {
    await run().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as EmfLine);
}

/** Checks one line against the spec and the catalogue; returns {name: value} and the dimension values. */
function readEmf(line: EmfLine, service: string) {
  expect(Object.keys(line._aws).sort()).toEqual(["CloudWatchMetrics", "Timestamp"]);
  expect(Number.isInteger(line._aws.Timestamp)).toBe(true);
  const [directive, ...more] = line._aws.CloudWatchMetrics;
  expect(more).toEqual([]);
  expect(directive?.Namespace).toBe(NAMESPACE);
  const values: Record<string, unknown> = {};
  for (const metric of directive?.Metrics ?? []) {
    const catalogued = METRICS[metric.Name as keyof typeof METRICS];
    expect(catalogued, `${metric.Name} is in lambda/shared/metrics.ts`).toBeDefined();
    expect(metric.Unit).toBe(catalogued.unit);
    expect(UNITS.has(metric.Unit)).toBe(true);
    expect(directive?.Dimensions).toEqual([["service", ...catalogued.dimensions]]);
    values[metric.Name] = line[metric.Name];
  }
  for (const dimension of directive?.Dimensions.flat() ?? []) expect(typeof line[dimension]).toBe("string");
  expect(line.service).toBe(service);
  return values;
}

const clients = emulatorClients();
afterAll(() => clients.destroy());
afterEach(() => vi.restoreAllMocks());

describe("EMF of the export function", () => {
  let table: string;
  let bucket: string;
  const logger = new Logger({ serviceName: "emf-test", logLevel: "CRITICAL" });
  const config = () => configFromEnv({ TABLE_NAME: table, BUCKET_NAME: bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: "Europe/Madrid" });
  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, [
      { id: S("a"), fecha: S("2026-11-23T10:00:00+01:00"), estado: S("OK") },
      { id: S("b"), fecha: S("2026-11-23T11:00:00+01:00"), estado: S("OK") },
      { id: S("c"), fecha: S("2026-11-22T11:00:00+01:00"), estado: S("OK") },
    ]);
  });

  it("one line per exported day: ExportedRows (Count) and ExportedBytes (Bytes) by readPath, the day as metadata", async () => {
    const metrics = createMetrics("trazabilidad_export", ENV);
    const handler = exportHandler({ clients, logger, metrics, config, now: () => Date.parse("2026-11-23T18:00:05Z") });
    let result: Awaited<ReturnType<typeof handler>> | undefined;
    const lines = await captureEmf(async () => {
      result = await handler({ scheduledTime: "2026-11-23T18:00:00Z" });
    });
    const days = result && "days" in result ? result.days : [];
    expect(days.map((d) => d.date)).toEqual(["2026-11-22", "2026-11-23"]);
    expect(lines).toHaveLength(2);
    lines.forEach((line, i) => {
      const day = days[i];
      expect(readEmf(line, "trazabilidad_export")).toEqual({ ExportedRows: day?.rows, ExportedBytes: day?.bytes });
      expect(line.readPath).toBe(day?.readPath);
      expect(line.date).toBe(day?.date);
    });
    expect(days.map((d) => d.rows)).toEqual([1, 2]);
  });

  it("the late check: ExportLate 0 when the day's manifest landed by the deadline, 1 when it is missing", async () => {
    const metrics = createMetrics("trazabilidad_export", ENV);
    // The manifest of 2026-11-23 was written above at 18:00:05Z; the run was due at 18:00Z (19:00 Madrid).
    const check = createLateCheck({ clients, logger, metrics, config, now: () => Date.parse("2026-11-23T19:00:01Z") });
    const onTime = await captureEmf(() => check({ scheduledTime: "2026-11-23T19:00:00Z", lateCheckAfterMinutes: 60 }));
    expect(onTime.map((l) => readEmf(l, "trazabilidad_export"))).toEqual([{ ExportLate: 0 }]);
    expect(onTime[0]?.verdict).toBe("on-time");
    const missing = await captureEmf(() => check({ scheduledTime: "2026-11-24T19:00:00Z", lateCheckAfterMinutes: 60 }));
    expect(missing.map((l) => readEmf(l, "trazabilidad_export"))).toEqual([{ ExportLate: 1 }]);
    expect(missing[0]).toMatchObject({ verdict: "late", date: "2026-11-24" });
  });

  it("a failed run counts one ExportFailures", async () => {
    const metrics = createMetrics("trazabilidad_export", ENV);
    const broken = exportHandler({ clients, logger, metrics, config: () => configFromEnv({ ...ENV, TABLE_NAME: "t" }) });
    const lines = await captureEmf(() => broken({}));
    expect(lines.map((l) => readEmf(l, "trazabilidad_export"))).toEqual([{ ExportFailures: 1 }]);
  });
});

describe("EMF of the day stamper", () => {
  it("RecordsStamped, UnstampedRecords, LateStamps (Count) and StamperLagSeconds (Seconds) for each run", async () => {
    const table = await createTable(clients);
    const bucket = await createVersionedBucket(clients);
    await putItems(clients, table, [
      { id: S("a"), fecha: S("2026-11-23T10:00:00+01:00"), estado: S("OK") },
      { id: S("b"), fecha: S("2026-11-23T11:00:00+01:00"), estado: S("OK") },
    ]);
    const metrics = createMetrics("trazabilidad_stamper", ENV);
    const logger = new Logger({ serviceName: "emf-test", logLevel: "CRITICAL" });
    const handler = stamperHandler({
      clients,
      logger,
      metrics,
      config: () => ({ table, bucket, kmsKeyId: TEST_KEY_ARN, timeZone: "Europe/Madrid", retentionDays: 7 }),
    });
    let lag: number | null = null;
    const lines = await captureEmf(async () => {
      lag = (await handler({}, { getRemainingTimeInMillis: () => 60_000 })).lagSeconds;
    });
    expect(lag).not.toBeNull();
    expect(lines.map((l) => readEmf(l, "trazabilidad_stamper"))).toEqual([
      { RecordsStamped: 2, UnstampedRecords: 0, LateStamps: 0, StamperLagSeconds: lag },
    ]);
  });
});

describe("EMF of the native export worker", () => {
  it("a failed task counts one ExportFailures", async () => {
    const metrics = createMetrics("trazabilidad_native", ENV);
    const logger = new Logger({ serviceName: "emf-test", logLevel: "CRITICAL" });
    const handler = nativeHandler({
      clients,
      logger,
      metrics,
      config: () => ({
        table: "no-such-table",
        bucket: "no-such-bucket",
        kmsKeyArn: TEST_KEY_ARN,
        timeZone: "UTC",
        spreadsheetSafe: false,
        slackMs: 0,
      }),
    });
    const lines = await captureEmf(() => handler({ action: "start", day: "2026-11-23", runId: "emf" } as never));
    expect(lines.map((l) => readEmf(l, "trazabilidad_native"))).toEqual([{ ExportFailures: 1 }]);
  });
});

describe("EMF of audit_producer", () => {
  it("AuditEntriesWritten and AuditRecordsFailed (Count) for each batch", async () => {
    const fixture = await createAuditTables(clients.dynamodb);
    for (const value of ["1", "2"]) {
      await clients.dynamodb.send(
        new PutItemCommand({ TableName: fixture.configurationTable, Item: { key: { S: "K" }, value: { N: value } } }),
      );
    }
    const { records } = await readStream(clients.streams, fixture.streamArn, {});
    const metrics = createMetrics("audit_producer", ENV);
    const handler = auditHandler({ dynamodb: clients.dynamodb, auditTableName: fixture.auditTable, reporter: silentReporter, metrics });
    const event: DynamoDBStreamEvent = { Records: records };
    const lines = await captureEmf(() => handler(event));
    // INSERT: one entry; MODIFY of value: one entry.
    expect(lines.map((l) => readEmf(l, "audit_producer"))).toEqual([{ AuditEntriesWritten: 2, AuditRecordsFailed: 0 }]);
    // A replay writes nothing new, and says so.
    const again = await captureEmf(() => handler(event));
    expect(again.map((l) => readEmf(l, "audit_producer"))).toEqual([{ AuditEntriesWritten: 0, AuditRecordsFailed: 0 }]);
  });
});

describe("EMF of the archiver", () => {
  it("DeletionsArchived (Count) per archived deletion, ArchiveFailures (Count) per failed event", async () => {
    const bucket = await archiveBucket(clients);
    const metrics = createMetrics("archiver", ENV);
    const handler = archiverHandler({
      s3: clients.s3,
      dynamodb: clients.dynamodb,
      bucket,
      kmsKeyArn: await createKmsKey(clients),
      reporter: silentReporter,
      metrics,
    });
    const streamArn = documentedStreamEvent().Records[0]?.eventSourceARN as string;
    const event = toPipeBusEvent(adapt(documentedRemoveRecord(), { at: 1_795_000_000, eventSourceARN: streamArn }));
    const archived = await captureEmf(() => handler(event));
    expect(archived.map((l) => readEmf(l, "archiver"))).toEqual([{ DeletionsArchived: 1 }]);
    expect(archived[0]?.status).toBe("archived");
    const again = await captureEmf(() => handler(event));
    expect(again.map((l) => readEmf(l, "archiver"))).toEqual([{ DeletionsArchived: 0 }]);
    const failing = archiverHandler({
      s3: clients.s3,
      dynamodb: clients.dynamodb,
      bucket: "no-such-bucket",
      kmsKeyArn: "k",
      reporter: silentReporter,
      metrics,
    });
    const failed = await captureEmf(() => failing(event));
    expect(failed.map((l) => readEmf(l, "archiver"))).toEqual([{ ArchiveFailures: 1 }]);
  });
});
