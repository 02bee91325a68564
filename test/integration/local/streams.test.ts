import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { readStream } from "../../../src/local/streams";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { createStreamTable, stringKey } from "../../support/fixtures";

describe("readStream against the emulator's DynamoDB Streams API", () => {
  const clients = emulatorClients();
  afterAll(() => clients.destroy());

  it("returns put, update and delete as Lambda records, and a checkpoint that resumes after them", async () => {
    const table = uniqueName("streams");
    const streamArn = await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("key") });
    expect(streamArn).toContain(table);
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { key: { S: "A" }, value: { N: "3600" } } }));
    await clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { key: { S: "A" } },
        UpdateExpression: "SET #v = :v",
        ExpressionAttributeNames: { "#v": "value" },
        ExpressionAttributeValues: { ":v": { N: "1800" } },
      }),
    );
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { key: { S: "A" } } }));

    const first = await readStream(clients.streams, streamArn);
    expect(first.records.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
    const [insert, modify, remove] = first.records;
    expect(insert?.dynamodb?.NewImage).toEqual({ key: { S: "A" }, value: { N: "3600" } });
    expect(modify?.dynamodb?.OldImage?.value).toEqual({ N: "3600" });
    expect(modify?.dynamodb?.NewImage?.value).toEqual({ N: "1800" });
    expect(remove?.dynamodb?.OldImage?.value).toEqual({ N: "1800" });
    expect(typeof insert?.dynamodb?.ApproximateCreationDateTime).toBe("number");
    expect(insert?.eventSourceARN).toBe(streamArn);

    const again = await readStream(clients.streams, streamArn, first.checkpoint);
    expect(again.records).toEqual([]);
    await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { key: { S: "B" } } }));
    const after = await readStream(clients.streams, streamArn, first.checkpoint);
    expect(after.records.map((r) => [r.eventName, r.dynamodb?.Keys?.key?.S])).toEqual([["INSERT", "B"]]);
  });
});
