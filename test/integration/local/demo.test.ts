// The one-command demo, run as a new user would (non-interactively), then checked from outside:
// the CSV object in S3, the entries in the Audit table, the restored item.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { freePort } from "../../../src/local/emulator";
import { runCli } from "../../support/cli";

describe("trace local demo", () => {
  const env = { TRACE_STATE_DIR: mkdtempSync(join(tmpdir(), "trace-demo-")), TRACE_LOCAL_PORT: "" };
  afterAll(async () => {
    await runCli(["local", "stop"], { env });
  });

  it("runs every job end to end on a fresh emulator, and again", async () => {
    env.TRACE_LOCAL_PORT = String(await freePort());
    const first = await runCli(["local", "demo", "--records", "40", "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result.endpoint).toBe(`http://127.0.0.1:${env.TRACE_LOCAL_PORT}`);
    const clients = createAwsClients({ region: "us-east-1", endpointUrl: result.endpoint, credentials: EMULATOR_CREDENTIALS }, more);
    try {
      // The CSV: every record of the day, contract columns first, and the manifest's figures.
      const location = new URL(result.export.location);
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: location.host, Key: location.pathname.slice(1) }));
      expect(object.ServerSideEncryption).toBe("aws:kms");
      const csv = await object.Body?.transformToString("utf-8");
      const rows: string[][] = parse(csv ?? "", { relax_column_count: false });
      expect(rows[0]?.slice(0, 3)).toEqual(["id", "fecha", "estado"]);
      expect(rows.length - 1).toBe(40);
      expect(result.export.rows).toBe(40);
      expect(location.pathname).toMatch(/^\/exports\/local-TRAZABILIDAD\/dt=\d{4}-\d{2}-\d{2}\/local-TRAZABILIDAD_\d{4}-\d{2}-\d{2}\.csv$/);

      // The Audit table holds the user's two examples for CACHE_TTL_SEC, and nothing for the no-op write.
      const { Items } = await clients.dynamodb.send(
        new QueryCommand({
          TableName: result.tables.audit,
          IndexName: "itemKey-modificationTime-index",
          KeyConditionExpression: "itemKey = :k",
          ExpressionAttributeValues: { ":k": { S: "CACHE_TTL_SEC" } },
        }),
      );
      const entries = (Items ?? []).sort((a, b) => (a.modificationTime?.S ?? "").localeCompare(b.modificationTime?.S ?? ""));
      expect(entries).toHaveLength(2);
      expect(entries[0]).toMatchObject({ newValue: { M: { key: { S: "CACHE_TTL_SEC" }, value: { N: "3600" } } } });
      expect(entries[0]?.updatedAttribute).toBeUndefined();
      expect(entries[1]).toMatchObject({ updatedAttribute: { S: "value" }, oldValue: { N: "3600" }, newValue: { N: "1800" } });

      // The deleted record is back, exactly as it was.
      const id = result.deletedItem.id.S;
      const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: result.tables.trazabilidad, Key: { id: { S: id } } }));
      expect(Item).toEqual(result.deletedItem);
      expect(result.restoredEqual).toBe(true);
      expect(result.restore).toMatchObject({ action: "restored", keys: { id } });
    } finally {
      clients.destroy();
    }

    const again = await runCli(["local", "demo", "--records", "40"], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("trace-local-audit: no changes");
    expect(again.stdout).toContain("identical to the item before deletion");
  });
});
