// Local mode survives its own commands, run as a user would on an emulator of its own:
// deploy → destroy → deploy → export (native) → streams → destroy → demo, a stack the emulator
// cannot describe (status shows it, destroy removes it), fix hints aimed at the emulator, and the
// local flags that must not be silently ignored.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DescribeContinuousBackupsCommand, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import { freePort } from "../../../src/local/emulator";
import { runCli } from "../../support/cli";

describe("local mode round trips", () => {
  const env = { TRACE_STATE_DIR: mkdtempSync(join(tmpdir(), "trace-round-trip-")), TRACE_LOCAL_PORT: "" };
  const trace = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...env, ...extra } });
  let clients: AwsClients | undefined;
  afterAll(async () => {
    clients?.destroy();
    await trace(["local", "stop"]);
  });

  it("destroy → deploy → export --engine native → streams → destroy → demo, each exit 0", async () => {
    env.TRACE_LOCAL_PORT = String(await freePort());
    const endpoint = `http://127.0.0.1:${env.TRACE_LOCAL_PORT}`;
    expect((await trace(["local", "start"])).code).toBe(0);
    clients = createAwsClients({ region: "us-east-1", endpointUrl: endpoint, credentials: EMULATOR_CREDENTIALS });

    const first = await trace(["--local", "deploy", "--yes"]);
    expect(first.code, first.stderr).toBe(0);
    const destroyed = await trace(["--local", "destroy", "--yes"]);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stderr).toMatch(/local mode: removed \d+ resource\(s\) the emulator kept/);
    expect((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);

    const again = await trace(["--local", "deploy", "--yes"]);
    expect(again.code, again.stderr).toBe(0);
    // No warning the emulator could not act on: the tables have PITR, as the templates say.
    expect(again.stderr).not.toMatch(/FAIL|WARN/);
    const pitr = await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: "local-TRAZABILIDAD" }));
    expect(pitr.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe("ENABLED");

    const native = await trace(["--local", "export", "--engine", "native", "--json"]);
    expect(native.code, native.stderr).toBe(0);
    expect(JSON.parse(native.stdout)).toMatchObject({ readPath: "native", rows: 0 });

    // `trace local --help`'s example: `local streams` needs no --local.
    const help = await trace(["local", "--help"]);
    expect(help.stdout).toContain("trace local start && trace --local deploy --yes && trace local streams");
    const streams = await trace(["local", "streams"]);
    expect(streams.code, streams.stderr).toBe(0);

    expect((await trace(["--local", "destroy", "--yes"])).code).toBe(0);
    const demo = await trace(["local", "demo", "--records", "10", "--json"]);
    expect(demo.code, demo.stderr).toBe(0);
    expect(JSON.parse(demo.stdout)).toMatchObject({ records: 10, restoredEqual: true });
  });

  it("a stack the emulator cannot describe: status shows it UNKNOWN with the emulator's words; destroy removes it", async () => {
    const endpoint = `http://127.0.0.1:${env.TRACE_LOCAL_PORT}`;
    expect((await trace(["--local", "destroy", "--yes"])).code).toBe(0);
    // A table by hand where the traceability stack wants its own: moto fails the stack half-way.
    await clients?.dynamodb.send(
      new CreateTableCommand({
        TableName: "local-TRAZABILIDAD",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    // The forecast names it, with a fix aimed at the emulator, never at the real account.
    const forecast = await trace(["--local", "forecast"]);
    expect(forecast.code).toBe(4);
    expect(forecast.stdout + forecast.stderr).toContain(
      `aws --endpoint-url ${endpoint} --region us-east-1 dynamodb delete-table --table-name local-TRAZABILIDAD`,
    );
    const broken = await trace(["--local", "deploy", "--yes", "--no-forecast"]);
    expect(broken.code).toBe(1);

    const status = await trace(["--local", "status"]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/trace-local-traceability\s+UNKNOWN/);
    expect(status.stdout).toContain("Table already exists: local-TRAZABILIDAD");
    expect(status.stdout).toMatch(/trace-local-base\s+CREATE_COMPLETE/);
    expect(status.stderr).not.toContain("XML parse error");

    const destroy = await trace(["--local", "destroy", "--yes"]);
    expect(destroy.code, destroy.stderr).toBe(0);
    const after = await trace(["--local", "status", "--json"]);
    expect(after.code, after.stderr).toBe(0);
    const rows = JSON.parse(after.stdout).stacks as { stack: string; status: string }[];
    expect(rows.find((r) => r.stack === "traceability")?.status).toBe("NOT_DEPLOYED");
  });

  it("local flags are never silently ignored", async () => {
    const both = await trace(["--local", "--env", "dev", "status"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--local and --env dev name two environments");

    const other = String(await freePort());
    const elsewhere = await trace(["local", "start", "--port", other]);
    expect(elsewhere.code).toBe(4);
    expect(elsewhere.stderr).toContain(`an emulator already runs on http://127.0.0.1:${env.TRACE_LOCAL_PORT}`);

    // TRACE_LOCAL_PORT wins over the saved emulator (docs/configuration.md): nothing answers there.
    const moved = await trace(["--local", "status"], { TRACE_LOCAL_PORT: other });
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain(`127.0.0.1:${other}`);
  });
});
