// The export Lambda fed what EventBridge Scheduler sends it: the template's target Input with
// <aws.scheduler.scheduled-time> replaced as AWS documents (test/fixtures/aws-events), against the
// emulator's table and bucket.
import { Logger } from "@aws-lambda-powertools/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, createHandler } from "../../../lambda/export";
import { awsFixture } from "../../support/aws-events";
import { loadTemplate, resource } from "../../support/cloudformation";
import { emulatorClients } from "../../support/emulator";
import { createTable, createVersionedBucket, putItems, S, TEST_KEY_ARN } from "./support";

const KEYWORD = "<aws.scheduler.scheduled-time>";

/** The schedule's Input as the template writes it, with the keywords replaced by the documented values. */
function scheduledInput(): unknown {
  const schedule = resource(loadTemplate("traceability"), "ExportSchedule");
  const input: string = schedule.Properties.Target.Input;
  expect(input).toContain(KEYWORD);
  const { keywords } = awsFixture<{ keywords: Record<string, string> }>("scheduler-context-attributes");
  let replaced = input;
  for (const [keyword, value] of Object.entries(keywords)) replaced = replaced.replaceAll(keyword, value);
  return JSON.parse(replaced);
}

describe("export Lambda with the Scheduler's documented input", () => {
  const clients = emulatorClients();
  let table: string;
  let bucket: string;
  const warnings: unknown[] = [];
  const logger = new Logger({ serviceName: "export-test", logLevel: "ERROR" });
  logger.warn = ((...args: unknown[]) => warnings.push(args)) as typeof logger.warn;

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, [
      { id: S("day-before"), fecha: S("2022-03-21T12:00:00+01:00") },
      { id: S("that-day"), fecha: S("2022-03-22T10:00:00+01:00") },
    ]);
  });
  afterAll(() => clients.destroy());

  it("exports the scheduled day and the one before, from the documented scheduled-time (2022-03-22T18:59:43Z)", async () => {
    const event = scheduledInput();
    expect(event).toEqual({ scheduledTime: "2022-03-22T18:59:43Z" });
    const handler = createHandler({
      clients,
      logger,
      config: () => configFromEnv({ TABLE_NAME: table, BUCKET_NAME: bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: "Europe/Madrid" }),
      // The clock says something else: the day must come from the event, not from the clock.
      now: () => Date.parse("2026-01-01T00:00:00Z"),
    });
    const result = await handler(event as { scheduledTime: string }, { getRemainingTimeInMillis: () => 900_000 });
    expect(result.days.map((d) => [d.date, d.rows])).toEqual([
      ["2022-03-21", 1],
      ["2022-03-22", 1],
    ]);
    expect(warnings).toEqual([]);
  });
});
