// A re-export never replaces a good export with a worse one (issue 21): a day older than the
// table's retention (TTL may have removed its items) that has an export is refused, exit 4, both
// row counts named, nothing written (the CSV's and the manifest's versions in the versioned bucket
// unchanged), unless --force or unless the day is unchanged (its CSV now has the export's sha256); within the retention a re-export with fewer rows is done, with a
// warning and the manifest's `replacesRows`. The scheduled function keeps such a day's export and
// exports the other day. Items are deleted here as TTL would delete them.
import { Logger } from "@aws-lambda-powertools/logger";
import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, createHandler } from "../../../lambda/export";
import { addDays, dayInZone } from "../../../src/core/export/day-window";
import { manifestKey, objectKey } from "../../../src/core/export/manifest";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createTable, createVersionedBucket, type Item, putItems, readText, S, TEST_KEY_ARN } from "./support";

const ZONE = "Europe/Madrid";
const RETENTION = 7;
/** Well beyond 7 days of retention, whatever today is. */
const OLD = "2025-01-10";
/** Within the retention: yesterday in the zone. */
const RECENT = addDays(dayInZone(Date.now(), ZONE), -1);
const dayItems = (day: string, n: number): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: S(`${day}-${i}`), fecha: S(`${day}T1${i}:00:00+01:00`), estado: S("OK") }));

describe("re-exports never replace a good export with a worse one", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  const config = configFile(ZONE, 1, RETENTION);
  let table: string;
  let bucket: string;

  const exportDay = (day: string, ...flags: string[]) =>
    runCli(
      ["--config", config, "--json", "export", "--date", day, "--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN, ...flags],
      { env },
    );
  const forget = async (ids: string[]) => {
    for (const id of ids) await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { id: S(id) } }));
  };
  /** Every version of the day's CSV and manifest, newest first. */
  const versions = async (day: string) => {
    const listed = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `exports/${table}/dt=${day}/` }));
    return (listed.Versions ?? []).map((v) => ({ key: v.Key, id: v.VersionId, latest: v.IsLatest }));
  };
  const manifest = async (day: string) => JSON.parse(await readText(clients, bucket, manifestKey(table, day)));

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, [...dayItems(OLD, 5), ...dayItems(RECENT, 4)]);
  });
  afterAll(() => clients.destroy());

  it("a first export of a day beyond the retention is made (there is nothing to spoil)", async () => {
    const run = await exportDay(OLD);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 5, replacesRows: null });
  });

  it("a re-export of it while it is unchanged is made: the same bytes, said so", async () => {
    const first = await manifest(OLD);
    const run = await exportDay(OLD);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 5, sha256: first.sha256, replacesRows: 5 });
    expect(run.stderr).toContain(`${OLD} of ${table} is older than the table's retention (retentionDays 7) but unchanged since its export`);
  });

  it("a re-export of it with fewer rows is refused: exit 4, both counts named, nothing written", async () => {
    await forget([`${OLD}-0`, `${OLD}-1`, `${OLD}-2`]);
    const before = await versions(OLD);
    expect(before).toHaveLength(4);
    const run = await exportDay(OLD);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain(`${OLD}: the table now holds 2 row(s) of it, its export has 5`);
    expect(run.stderr).toContain("retentionDays 7");
    expect(run.stderr).toContain("--force");
    // With --json the error is also on stdout, for scripts.
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "CONFLICT", exitCode: 4 } });
    expect(await versions(OLD)).toEqual(before);
    expect(await manifest(OLD)).toMatchObject({ rows: 5 });
  });

  it("--from/--to over it is refused whole, before any day is written", async () => {
    const from = addDays(OLD, -1);
    const run = await runCli(
      [
        "--config",
        config,
        "--json",
        "export",
        "--from",
        from,
        "--to",
        addDays(OLD, 1),
        "--table",
        table,
        "--bucket",
        bucket,
        "--kms-key",
        TEST_KEY_ARN,
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(4);
    const listed = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `exports/${table}/dt=${from}/` }));
    expect(listed.Versions ?? []).toEqual([]);
  });

  it("--force replaces it, with the shrink warned about and recorded", async () => {
    const run = await exportDay(OLD, "--force");
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 2, replacesRows: 5 });
    expect(run.stderr).toContain("fewer than the 5 of the export it replaces");
    expect(await manifest(OLD)).toMatchObject({ rows: 2, replacesRows: 5 });
    expect((await versions(OLD)).filter((v) => v.key === objectKey(table, OLD))).toHaveLength(3);
  });

  it("a re-export of it with as many rows but different ones is refused too", async () => {
    await putItems(clients, table, [{ id: S(`${OLD}-4`), fecha: S(`${OLD}T14:00:00+01:00`), estado: S("CHANGED") }]);
    const before = await versions(OLD);
    const run = await exportDay(OLD);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain(`${OLD}: the table now holds 2 row(s) of it, its export has 2 (different ones: the sha256s differ)`);
    expect(await versions(OLD)).toEqual(before);
  });

  it("within the retention a re-export with fewer rows is made, never silently", async () => {
    const first = await exportDay(RECENT);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ rows: 4, replacesRows: null });
    expect(first.stderr).not.toContain("fewer than");
    await forget([`${RECENT}-3`]);
    const again = await exportDay(RECENT);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 3, replacesRows: 4 });
    expect(again.stderr).toContain(`${RECENT} of ${table}: the new export has 3 row(s), fewer than the 4 of the export it replaces`);
  });

  it("the scheduled function keeps the export of a day beyond the retention and exports the other", async () => {
    const warnings: Record<string, unknown>[] = [];
    const logger = new Logger({ serviceName: "reexport-test", logLevel: "CRITICAL" });
    logger.warn = ((message: string, ...extra: Record<string, unknown>[]) => {
      warnings.push(Object.assign({ message }, ...extra));
    }) as typeof logger.warn;
    // 19:00 on the day after OLD: yesterday (OLD) is beyond a 1-day retention, today is not.
    const scheduledTime = `${addDays(OLD, 1)}T18:00:00Z`;
    const before = await versions(OLD);
    const handler = createHandler({
      clients,
      logger,
      config: () =>
        configFromEnv({ TABLE_NAME: table, BUCKET_NAME: bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: ZONE, TABLE_RETENTION_DAYS: "1" }),
      now: () => Date.parse(scheduledTime) + 5_000,
    });
    const result = await handler({ scheduledTime });
    expect(result.days.map((d) => d.date)).toEqual([addDays(OLD, 1)]);
    expect(await versions(OLD)).toEqual(before);
    expect(warnings.map((w) => w.message)).toContainEqual(expect.stringContaining(`${OLD} of ${table} is not re-exported`));
  });

  it("the scheduled function re-exports within the retention, warning of a shrink in its log", async () => {
    const warnings: string[] = [];
    const logger = new Logger({ serviceName: "reexport-test", logLevel: "CRITICAL" });
    logger.warn = ((message: string) => {
      warnings.push(message);
    }) as typeof logger.warn;
    await forget([`${RECENT}-2`]);
    const today = addDays(RECENT, 1);
    const scheduledTime = `${today}T18:00:00Z`;
    const handler = createHandler({
      clients,
      logger,
      config: () => configFromEnv({ TABLE_NAME: table, BUCKET_NAME: bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: ZONE }),
      now: () => Date.parse(scheduledTime) + 5_000,
    });
    const result = await handler({ scheduledTime });
    expect(result.days.map((d) => [d.date, d.rows])).toEqual([
      [RECENT, 2],
      [today, 0],
    ]);
    expect(await manifest(RECENT)).toMatchObject({ rows: 2, replacesRows: 3 });
    expect(warnings).toContainEqual(expect.stringContaining("fewer than the 3 of the export it replaces"));
  });
});
