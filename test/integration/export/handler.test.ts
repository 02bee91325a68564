// The scheduled Lambda handler, invoked in process with a Scheduler event against the emulator:
// it writes the current day so far and re-exports the previous day.
import { Logger } from "@aws-lambda-powertools/logger";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, createHandler, TIMEOUT_MARGIN_MS } from "../../../lambda/export";
import { COMMIT_BUDGET_MS } from "../../../src/core/export/commit";
import { emulatorClients } from "../../support/emulator";
import { createTable, createVersionedBucket, putItems, readText, S, TEST_KEY_ARN } from "./support";

/** What EventBridge Scheduler sends: 19:00 in Madrid on 2026-11-23 is 18:00 UTC. */
const scheduledEvent = (scheduledTime: string) => ({ scheduledTime });

describe("export Lambda handler", () => {
  const clients = emulatorClients();
  let table: string;
  let bucket: string;
  const logs: Record<string, unknown>[] = [];
  const logger = new Logger({ serviceName: "export-test", logLevel: "INFO" });
  // Keep the structured lines for the assertions instead of printing them.
  logger.info = ((message: string, ...extra: Record<string, unknown>[]) => {
    logs.push(Object.assign({ message }, ...extra));
  }) as typeof logger.info;
  logger.error = ((message: string, ...extra: Record<string, unknown>[]) => {
    logs.push(Object.assign({ message, level: "ERROR" }, ...extra));
  }) as typeof logger.error;
  const csv = (day: string) => readText(clients, bucket, `exports/${table}/dt=${day}/${table}_${day}.csv`);
  const manifest = async (day: string) => JSON.parse(await readText(clients, bucket, `exports/${table}/dt=${day}/_manifest.json`));

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, [
      { id: S("before-yesterday"), fecha: S("2026-11-21T23:59:00+01:00") },
      { id: S("yesterday-early"), fecha: S("2026-11-22T00:00:00+01:00") },
      { id: S("yesterday-late"), fecha: S("2026-11-22T23:30:00+01:00") }, // written after yesterday's 19:00 run
      { id: S("today"), fecha: S("2026-11-23T10:00:00+01:00") },
      { id: S("today-utc-evening"), fecha: S("2026-11-23T17:59:00Z") },
    ]);
  });
  afterAll(() => clients.destroy());

  it("exports today so far and re-exports yesterday", async () => {
    const scheduledTime = "2026-11-23T18:00:00Z";
    const handler = createHandler({
      clients,
      logger,
      config: () =>
        configFromEnv({
          TABLE_NAME: table,
          BUCKET_NAME: bucket,
          KMS_KEY_ARN: TEST_KEY_ARN,
          TIME_ZONE: "Europe/Madrid",
          SCAN_SEGMENTS: "2",
        }),
      now: () => Date.parse(scheduledTime) + 5_000,
    });
    const result = await handler(scheduledEvent(scheduledTime), { getRemainingTimeInMillis: () => 900_000 });
    expect(result.days.map((d) => [d.date, d.rows, d.complete])).toEqual([
      ["2026-11-22", 2, true],
      ["2026-11-23", 2, false],
    ]);
    const ids = async (day: string) =>
      parse(await csv(day), { from_line: 2 })
        .map((r: string[]) => r[0])
        .sort();
    expect(await ids("2026-11-22")).toEqual(["yesterday-early", "yesterday-late"]);
    expect(await ids("2026-11-23")).toEqual(["today", "today-utc-evening"]);
    expect(await manifest("2026-11-23")).toMatchObject({ complete: false, timeZone: "Europe/Madrid", segments: 2, rows: 2 });
    // One structured line per day with the manifest's figures, for the logs and metric filters.
    const exported = logs.filter((l) => l.message === "day exported");
    expect(exported.map((l) => [l.date, l.rows])).toEqual([
      ["2026-11-22", 2],
      ["2026-11-23", 2],
    ]);
    expect(exported[0]).toHaveProperty("sha256");
    expect(exported[0]).toHaveProperty("bytes");
  });

  it("exports exactly the days an event names (a manual run, trace smoke), and refuses a malformed list", async () => {
    const handler = createHandler({
      clients,
      logger,
      config: () => configFromEnv({ TABLE_NAME: table, BUCKET_NAME: bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: "Europe/Madrid" }),
      now: () => Date.parse("2026-11-30T18:00:00Z"),
    });
    const result = await handler({ days: ["2026-11-21"] }, { getRemainingTimeInMillis: () => 900_000 });
    expect(result.days.map((d) => [d.date, d.rows])).toEqual([["2026-11-21", 1]]);
    expect(parse(await csv("2026-11-21"), { from_line: 2 }).map((r: string[]) => r[0])).toEqual(["before-yesterday"]);
    for (const days of [[], ["2026-02-30"], ["21/11/2026"], "2026-11-21", Array(8).fill("2026-11-21")])
      await expect(handler({ days } as never, { getRemainingTimeInMillis: () => 900_000 })).rejects.toThrow(/"days" must be 1 to 7 days/);
  });

  it("stops early enough that a commit's critical section still fits before the Lambda timeout", () => {
    expect(TIMEOUT_MARGIN_MS).toBeGreaterThan(COMMIT_BUDGET_MS);
  });

  it("falls back to the clock when the event has no scheduledTime", async () => {
    const handler = createHandler({
      clients,
      logger,
      config: () => ({
        table,
        bucket,
        kmsKeyArn: TEST_KEY_ARN,
        timeZone: "Europe/Madrid",
        segments: 1,
        spreadsheetSafe: false,
        retentionDays: 7,
      }),
      now: () => Date.parse("2026-11-22T12:00:00Z"),
    });
    const result = await handler({});
    expect(result.days.map((d) => d.date)).toEqual(["2026-11-21", "2026-11-22"]);
  });

  it("a failure throws (so the Errors alarm fires) and is logged with its code", async () => {
    const errors: unknown[] = [];
    logger.error = ((message: string, extra: unknown) => {
      errors.push({ message, extra });
    }) as typeof logger.error;
    const handler = createHandler({
      clients,
      logger,
      config: () => ({
        table: "no-such-table",
        bucket,
        kmsKeyArn: TEST_KEY_ARN,
        timeZone: "Europe/Madrid",
        segments: 1,
        spreadsheetSafe: false,
        retentionDays: 7,
      }),
    });
    await expect(handler(scheduledEvent("2026-11-23T18:00:00Z"))).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: "export failed", extra: { code: "NOT_FOUND" } });
  });

  it("refuses to run with a missing environment variable", async () => {
    const handler = createHandler({ clients, logger, config: () => configFromEnv({ TABLE_NAME: table }) });
    await expect(handler(scheduledEvent("2026-11-23T18:00:00Z"))).rejects.toThrow(/BUCKET_NAME/);
  });

  it("SPREADSHEET_SAFE=true (the stack's ExportSpreadsheetSafe) escapes formula cells and says so in the manifest", async () => {
    const safeTable = await createTable(clients);
    await putItems(clients, safeTable, [{ id: S("f-1"), fecha: S("2026-11-23T10:00:00Z"), estado: S('=HYPERLINK("http://x")') }]);
    const handler = createHandler({
      clients,
      logger,
      config: () =>
        configFromEnv({
          TABLE_NAME: safeTable,
          BUCKET_NAME: bucket,
          KMS_KEY_ARN: TEST_KEY_ARN,
          TIME_ZONE: "UTC",
          SPREADSHEET_SAFE: "true",
        }),
      now: () => Date.parse("2026-11-23T18:00:05Z"),
    });
    await handler(scheduledEvent("2026-11-23T18:00:00Z"));
    const key = (name: string) => `exports/${safeTable}/dt=2026-11-23/${name}`;
    expect(JSON.parse(await readText(clients, bucket, key("_manifest.json")))).toMatchObject({ spreadsheetSafe: true, rows: 1 });
    const rows = parse(await readText(clients, bucket, key(`${safeTable}_2026-11-23.csv`)), { from_line: 2 });
    expect(rows[0][2]).toBe('\'=HYPERLINK("http://x")');
    expect(() => configFromEnv({ TABLE_NAME: "t", BUCKET_NAME: "b", KMS_KEY_ARN: "k", TIME_ZONE: "UTC", SPREADSHEET_SAFE: "yes" })).toThrow(
      /SPREADSHEET_SAFE must be "true" or "false", got "yes"/,
    );
  });
});
