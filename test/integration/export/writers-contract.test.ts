// The export's first promise on a stack deployed with the default configuration (day index on):
// records written exactly as the brief's writers write them (id, fecha, estado and other
// attributes, never `dia`), and some with a wrong `dia` of their own, are all in the day's CSV —
// from the CLI's default export and from the scheduled handler run with the deployed function's
// own environment — before the stamper has run (both scan, and say why) and after (both query).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv, createHandler } from "../../../lambda/export";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { dayWindow } from "../../../src/core/export/day-window";
import { objectKey } from "../../../src/core/export/manifest";
import { runCli } from "../../support/cli";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";
import { type Item, N, putItems, readBytes, S } from "./support";

const REGION = "eu-north-1";
const stage = uniqueName("w");
const prefix = `${stage}-`;
const ZONE = "Europe/Madrid";
const DAY = "2026-11-20";
const RECORDS = 300;

/** As the brief's writers write them: id, fecha, estado and what else they like; no dia. */
const writers: Item[] = Array.from({ length: RECORDS }, (_, i) => ({
  id: S(`W-${String(i).padStart(4, "0")}`),
  fecha: S(`${DAY}T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00+01:00`),
  estado: S(i % 3 ? "RECIBIDO" : "SERVIDO"),
  lote: N(i),
}));
/** Writers that set a dia of their own, wrong: the day before (UTC), and a week off. */
const wrongDia: Item[] = [
  { id: S("X-utc"), fecha: S(`${DAY}T00:30:00+01:00`), dia: S("2026-11-19"), estado: S("X") },
  { id: S("X-week"), fecha: S(`${DAY}T12:00:00Z`), dia: S("2026-11-13"), estado: S("X") },
];
const expected = [...writers, ...wrongDia].map((i) => i.id?.S).sort();

let dir: string;
let clients: AwsClients;
/** The day's sha256 before the stamper ran. */
let unstamped: string;

const trace = (args: string[]) =>
  runCli([...args, "--endpoint-url", emulatorEndpoint(), "--region", REGION], { cwd: dir, env: emulatorEnv() });

async function cliExport(): Promise<{ manifest: Record<string, unknown>; ids: string[] }> {
  const run = await trace(["--json", "export", "--date", DAY]);
  expect(run.code, run.stderr).toBe(0);
  const manifest = JSON.parse(run.stdout);
  const csv = await readBytes(clients, String(manifest.location).split("/")[2] as string, objectKey(`${prefix}TRAZABILIDAD`, DAY));
  return {
    manifest,
    ids: parse(csv, { from_line: 2 })
      .map((r: string[]) => r[0])
      .sort(),
  };
}

/** The scheduled function, in process, with the environment the stack gave the deployed function. */
async function scheduledExport() {
  const { Environment } = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${prefix}trazabilidad_export` }));
  const at = dayWindow(DAY, ZONE).end + 19 * 3_600_000; // 19:00 of the next day, the schedule's hour
  const handler = createHandler({
    clients,
    logger: new Logger({ serviceName: "writers-contract", logLevel: "CRITICAL" }),
    // Lambda gives a function its variables as strings; moto returns a Number parameter's value as a
    // JSON number, so they are made strings here as the runtime would.
    config: () => configFromEnv(Object.fromEntries(Object.entries(Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)]))),
  });
  const result = await handler({ scheduledTime: new Date(at).toISOString() }, { getRemainingTimeInMillis: () => 900_000 });
  const day = result.days.find((d) => d.date === DAY);
  expect(day, "the scheduled run re-exports the previous day").toBeDefined();
  return day as NonNullable<typeof day>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trace-writers-"));
  // The default configuration but for what moto cannot run (the audit stream's mapping).
  writeFileSync(
    join(dir, "trace.config.yaml"),
    // retentionDays: 365 keeps the test's fixed day (2026-11-20) within the retention whenever it runs:
    // an older day with an export is not re-exported (docs/export.md, "Re-exports").
    `environments:\n  dev:\n    stage: ${stage}\n    region: ${REGION}\n    prefix: ${prefix}\n    timeZone: ${ZONE}\n    retentionDays: 365\n    streamTriggers: false\n`,
  );
  clients = createAwsClients({ region: REGION, endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS }, more);
  const deployed = await trace(["deploy", "--yes"]);
  expect(deployed.code, deployed.stderr).toBe(0);
  await putItems(clients, `${prefix}TRAZABILIDAD`, [...writers, ...wrongDia]);
}, 180_000);
afterAll(() => clients.destroy());

describe("every record the writers write reaches the day's CSV (deployed stack, default configuration)", () => {
  it("before the stamper has run: the CLI and the scheduled function scan, say why, and export every record", async () => {
    const cli = await cliExport();
    expect(cli.ids).toEqual(expected);
    expect(cli.manifest).toMatchObject({ readPath: "scan", rows: expected.length, complete: true });
    expect(cli.manifest.readPathReason).toContain("stamper has not run");
    unstamped = cli.manifest.sha256 as string;
    const scheduled = await scheduledExport();
    expect(scheduled).toMatchObject({ readPath: "scan", rows: expected.length });
  });

  it("after the stamper has run: the CLI queries only the day and exports every record", async () => {
    const stamped = await trace(["--json", "index", "run"]);
    expect(stamped.code, stamped.stderr).toBe(0);
    expect(JSON.parse(stamped.stdout)).toMatchObject({ stamped: expected.length, failures: 0, sweep: { finished: true } });
    const cli = await cliExport();
    expect(cli.ids).toEqual(expected);
    expect(cli.manifest).toMatchObject({ readPath: "query", rows: expected.length, itemsRead: expected.length, readAmplification: 1 });
    // The stamper gave every record its dia and its expiresAt (the writers set neither): the same bytes.
    expect(cli.manifest.sha256).toBe(unstamped);
    const item = await clients.dynamodb.send(
      new GetItemCommand({ TableName: `${prefix}TRAZABILIDAD`, Key: { id: S("W-0000") }, ConsistentRead: true }),
    );
    expect(item.Item).toMatchObject({ dia: { S: DAY }, expiresAt: { N: expect.stringMatching(/^\d{10}$/) } });
    const status = await trace(["--json", "index", "status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ found: true, indexProblem: null, failures: [] });
    const scheduled = await scheduledExport();
    expect(scheduled).toMatchObject({ readPath: "query", rows: expected.length, complete: true });
  });
});
