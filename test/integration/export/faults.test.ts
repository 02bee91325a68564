// Faults injected with client middleware (the only use of mocks): a part upload that fails, an
// interruption mid-upload, throttled scans, access denied. The data that lands is read from the
// emulator: no object, no incomplete multipart upload, the previous version untouched.
import { HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { ErrorCode, type TraceError } from "../../../src/core/errors";
import { type ExportRequest, exportDays } from "../../../src/core/export/export-days";
import { silentReporter } from "../../../src/core/reporter";
import { emulatorClients, emulatorEndpoint } from "../../support/emulator";
import { createTable, createVersionedBucket, type Item, putItems, readText, S, TEST_KEY_ARN } from "./support";

const DAY = "2026-11-22";
const MiB = 1024 * 1024;

/** ~12 MiB of CSV for the day: three 5 MiB parts, so the upload is multipart. */
const bigDay: Item[] = Array.from({ length: 240 }, (_, i) => ({
  id: S(`big-${String(i).padStart(4, "0")}`),
  fecha: S(`2026-11-22T${String(i % 24).padStart(2, "0")}:15:00Z`),
  estado: S("ok"),
  carga: S(`${i}:`.padEnd(50_000, "x")),
}));

const freshClients = (maxAttempts?: number) =>
  createAwsClients({ region: "us-east-1", endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS, maxAttempts }, more);

const fault = (name: string, status: number, message = "injected fault") =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe("export under faults", () => {
  const setup = emulatorClients();
  let table: string;
  let bucket: string;
  const key = () => `exports/${table}/dt=${DAY}/${table}_${DAY}.csv`;
  const request = (): ExportRequest => ({
    table,
    days: [DAY],
    timeZone: "UTC",
    segments: 2,
    target: { kind: "s3", bucket, kmsKeyId: TEST_KEY_ARN, partSize: 5 * MiB },
  });
  const pendingUploads = async () => (await setup.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  const objectExists = () =>
    setup.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key() })).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    table = await createTable(setup);
    bucket = await createVersionedBucket(setup);
    await putItems(setup, table, bigDay);
  });
  afterAll(() => setup.destroy());

  it("a part that fails mid-upload leaves no object and no incomplete multipart upload", async () => {
    const clients = freshClients();
    let parts = 0;
    clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "UploadPartCommand" && ++parts === 2)
          throw fault("InjectedConnectionDrop", 400, "connection dropped (injected)");
        return next(args);
      },
      { step: "initialize", name: "injectPartFailure" },
    );
    const error = await exportDays(clients, request(), silentReporter, new AbortController().signal).catch((e: TraceError) => e);
    expect((error as TraceError).code).toBe(ErrorCode.failed);
    expect((error as Error).message).toContain("connection dropped");
    expect(parts).toBeGreaterThanOrEqual(2);
    expect(await objectExists()).toBe(false);
    expect(await pendingUploads()).toEqual([]);
    clients.destroy();
  });

  it("an interruption mid-upload aborts it; a re-export interrupted leaves the previous object as it was", async () => {
    // First a complete export, so there is a previous version to protect.
    const good = await exportDays(setup, request(), silentReporter, new AbortController().signal);
    expect(good[0]?.rows).toBe(bigDay.length);
    const before = await readText(setup, bucket, key());

    await putItems(setup, table, [{ id: S("late"), fecha: S("2026-11-22T23:00:00Z"), estado: S("nuevo") }]);
    const clients = freshClients();
    const controller = new AbortController();
    let parts = 0;
    clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        // Ctrl-C right after the first part has landed.
        if (context.commandName === "UploadPartCommand" && ++parts === 1) controller.abort();
        return result;
      },
      { step: "initialize", name: "interruptAfterFirstPart" },
    );
    const error = await exportDays(clients, request(), silentReporter, controller.signal).catch((e: TraceError) => e);
    expect((error as TraceError).code).toBe(ErrorCode.interrupted);
    expect(parts).toBeGreaterThanOrEqual(1);
    expect(await pendingUploads()).toEqual([]);
    expect(await readText(setup, bucket, key())).toBe(before);
    clients.destroy();
  });

  it("throttled scans are retried with backoff and the export completes", async () => {
    const clients = freshClients();
    let throttled = 0;
    let scans = 0;
    // finalizeRequest, low priority: inside the SDK's retry loop, as a real throttled response is.
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ScanCommand") {
          scans++;
          if (throttled < 3) {
            throttled++;
            throw fault(
              "ProvisionedThroughputExceededException",
              400,
              "The level of configured provisioned throughput for the table was exceeded",
            );
          }
        }
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "injectThrottling" },
    );
    const [manifest] = await exportDays(clients, request(), silentReporter, new AbortController().signal);
    expect(throttled).toBe(3);
    expect(scans).toBeGreaterThan(3);
    expect(manifest?.rows).toBe(bigDay.length + 1);
    clients.destroy();
  });

  it("throttling that never stops fails cleanly (THROTTLED, exit 1) and writes nothing", async () => {
    const clients = freshClients(2);
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ScanCommand") throw fault("ThrottlingException", 400, "Rate exceeded");
        return next(args);
      },
      { step: "finalizeRequest", priority: "low", name: "alwaysThrottle" },
    );
    const versionsBefore = await readText(setup, bucket, key());
    const error = await exportDays(clients, request(), silentReporter, new AbortController().signal).catch((e: TraceError) => e);
    expect((error as TraceError).code).toBe(ErrorCode.throttled);
    expect((error as TraceError).exitCode).toBe(1);
    expect((error as TraceError).hint).toContain("--segments");
    expect(await readText(setup, bucket, key())).toBe(versionsBefore);
    expect(await pendingUploads()).toEqual([]);
    clients.destroy();
  });

  it("access denied on the bucket or the table → ACCESS_DENIED (exit 5) before anything is scanned", async () => {
    const clients = freshClients();
    let scans = 0;
    clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "HeadBucketCommand") throw fault("Forbidden", 403, "Forbidden");
        return next(args);
      },
      { step: "initialize", name: "denyBucket" },
    );
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "ScanCommand") scans++;
        return next(args);
      },
      { step: "initialize", name: "countScans" },
    );
    const error = await exportDays(clients, request(), silentReporter, new AbortController().signal).catch((e: TraceError) => e);
    expect((error as TraceError).code).toBe(ErrorCode.accessDenied);
    expect((error as TraceError).exitCode).toBe(5);
    expect(scans).toBe(0);

    const denied = freshClients();
    denied.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "DescribeTableCommand")
          throw fault("AccessDeniedException", 400, "not authorized to perform dynamodb:DescribeTable");
        return next(args);
      },
      { step: "initialize", name: "denyTable" },
    );
    const tableError = await exportDays(denied, request(), silentReporter, new AbortController().signal).catch((e: TraceError) => e);
    expect((tableError as TraceError).exitCode).toBe(5);
    clients.destroy();
    denied.destroy();
  });
});
