// A long backfill on the query path reads a month's day partitions at once: every request in flight
// holds an abort listener, which once printed Node's MaxListenersExceededWarning (129 times over a
// quarter) into the progress line. None may appear now.
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv, uniqueName } from "../../support/emulator";
import { createStreamTable, dayIndexedTrazabilidad } from "../../support/fixtures";
import { configFile, createVersionedBucket, TEST_KEY_ARN } from "./support";

describe("a long backfill", () => {
  const clients = emulatorClients();
  afterAll(() => clients.destroy());

  it("queries 61 days of partitions with no MaxListenersExceededWarning", async () => {
    const table = uniqueName("TRAZABILIDAD-backfill");
    await createStreamTable(clients.dynamodb, { TableName: table, ...dayIndexedTrazabilidad() });
    const config = configFile("Europe/Madrid", 2);
    // The stamper's ledger shows the (empty) index complete, so the export queries it.
    const bucket = await createVersionedBucket(clients);
    const stamped = await runCli(["--config", config, "index", "run", "--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN], {
      env: emulatorEnv(),
    });
    expect(stamped.code, stamped.stderr).toBe(0);
    const run = await runCli(
      ["--config", config, "export", "--from", "2026-09-01", "--to", "2026-10-31", "--dry-run", "--table", table, "--bucket", bucket],
      { env: emulatorEnv() },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("61 day(s)");
    expect(run.stdout).toContain("queried the day index");
    expect(run.stderr).not.toContain("MaxListenersExceededWarning");
  });
});
