import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, describe, expect, it } from "vitest";
import { silentReporter } from "../../../src/core/reporter";
import { pumpStreams, type StreamConsumer } from "../../../src/local/pump";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { createStreamTable, stringKey } from "../../support/fixtures";

describe("pumpStreams (local stand-in for event source mappings and pipes)", () => {
  const clients = emulatorClients();
  afterAll(() => clients.destroy());

  it("hands each record once, in order, and retries from a failed record without skipping or repeating", async () => {
    const table = uniqueName("pump");
    const streamArn = await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("key") });
    const put = (key: string) => clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { key: { S: key } } }));
    for (const key of ["a", "b", "c", "d"]) await put(key);

    const seen: string[] = [];
    let failOn: string | undefined = "c";
    const consumer: StreamConsumer = {
      name: "test",
      streamArn,
      async handle(records: DynamoDBRecord[]) {
        for (const [i, record] of records.entries()) {
          const key = record.dynamodb?.Keys?.key?.S ?? "?";
          if (key === failOn) return { done: i, discarded: [] };
          seen.push(key);
        }
        return { done: records.length, discarded: [] };
      },
    };
    const checkpointFile = join(mkdtempSync(join(tmpdir(), "trace-pump-")), "checkpoints.json");
    const run = () => pumpStreams({ streams: clients.streams, consumers: [consumer], checkpointFile, reporter: silentReporter });

    expect(await run()).toEqual([{ name: "test", read: 4, handled: 2, failed: 1, discarded: 0, failures: [] }]);
    expect(seen).toEqual(["a", "b"]);

    failOn = undefined;
    expect(await run()).toEqual([{ name: "test", read: 2, handled: 2, failed: 0, discarded: 0, failures: [] }]);
    expect(seen).toEqual(["a", "b", "c", "d"]);

    expect(await run()).toEqual([{ name: "test", read: 0, handled: 0, failed: 0, discarded: 0, failures: [] }]);
    await put("e");
    await run();
    expect(seen).toEqual(["a", "b", "c", "d", "e"]);
  });
});
