// The bundled handler, run as Lambda would run it: a fresh Node process, configuration from the
// environment only, a Lambda context; its logs must be structured JSON on stdout.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { readStream } from "../../../src/local/streams";
import { bundleAuditProducer } from "../../support/audit-bundle";
import { createAuditTables, scanAudit } from "../../support/audit-tables";
import { emulatorClients, emulatorEnv } from "../../support/emulator";

const runner = `
import { readFileSync } from "node:fs";
const { handler } = await import(process.argv[1]);
const event = JSON.parse(readFileSync(process.argv[2], "utf8"));
const context = { functionName: "test-audit_producer", functionVersion: "$LATEST", invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:test-audit_producer",
  memoryLimitInMB: "256", awsRequestId: "req-123", logGroupName: "/aws/lambda/test", logStreamName: "s", getRemainingTimeInMillis: () => 60000 };
const result = await handler(event, context);
console.log("RESULT " + JSON.stringify(result));
`;

// Node here is 20 (Lambda runs 22): silence the SDK's Node 20 deprecation warning only.
const node20 = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

describe("the bundled audit_producer", () => {
  const clients = emulatorClients();
  afterAll(() => clients.destroy());

  it("runs from its environment in a fresh process, writes the entry and logs structured JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "audit-bundle-"));
    const bundle = join(dir, "index.mjs");
    await bundleAuditProducer(bundle);
    const fixture = await createAuditTables(clients.dynamodb);
    await clients.dynamodb.send(
      new PutItemCommand({ TableName: fixture.configurationTable, Item: { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } } }),
    );
    const { records } = await readStream(clients.streams, fixture.streamArn);
    const eventFile = join(dir, "event.json");
    writeFileSync(eventFile, JSON.stringify({ Records: records }));

    const run = spawnSync(process.execPath, ["--input-type=module", "-e", runner, bundle, eventFile], {
      env: {
        ...emulatorEnv(),
        ...node20,
        PATH: process.env.PATH,
        AUDIT_TABLE_NAME: fixture.auditTable,
        POWERTOOLS_SERVICE_NAME: "audit_producer",
      },
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines.at(-1)).toBe(`RESULT ${JSON.stringify({ batchItemFailures: [] })}`);
    const logs = lines.slice(0, -1).map((l) => JSON.parse(l));
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: "INFO",
        message: "batch processed",
        service: "audit_producer",
        function_request_id: "req-123",
        records: 1,
        written: 1,
      }),
    );
    const items = await scanAudit(clients.dynamodb, fixture.auditTable);
    expect(items.map((i) => i.newValue)).toEqual([{ M: { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } } }]);
  });

  it("refuses to run without AUDIT_TABLE_NAME, saying which variable is missing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "audit-bundle-"));
    const bundle = join(dir, "index.mjs");
    await bundleAuditProducer(bundle);
    const eventFile = join(dir, "event.json");
    writeFileSync(eventFile, JSON.stringify({ Records: [] }));
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", runner, bundle, eventFile], {
      env: { ...emulatorEnv(), ...node20, PATH: process.env.PATH },
      encoding: "utf8",
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("environment variable AUDIT_TABLE_NAME is not set");
  });
});
