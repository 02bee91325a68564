import { randomBytes } from "node:crypto";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { Upload } from "@aws-sdk/lib-storage";
import { NumberValueImpl as NumberValue } from "@aws-sdk/util-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { emulatorClients, uniqueName } from "../../support/emulator";
import { createStreamTable, stringKey } from "../../support/fixtures";

describe("AWS client factory against the emulator", () => {
  const clients = emulatorClients();
  afterAll(() => clients.destroy());

  it("creates a table, writes and reads back an item with exact numbers", async () => {
    const table = uniqueName("clients");
    // TRAZABILIDAD as the stack makes it (key `id`, stream on).
    await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("id") });
    const described = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    expect(described.Table?.KeySchema).toEqual([{ AttributeName: "id", KeyType: "HASH" }]);
    const big = "12345678901234567890123456789012345678";
    // A document client over the factory's client (nothing in trace uses one; tests may): numbers stay exact.
    const documents = DynamoDBDocumentClient.from(clients.dynamodb, { unmarshallOptions: { wrapNumbers: true } });
    await documents.send(new PutCommand({ TableName: table, Item: { id: "a#1", n: NumberValue.from(big), s: "ñandú 🍲" } }));
    const { Item } = await documents.send(new GetCommand({ TableName: table, Key: { id: "a#1" } }));
    expect(Item?.s).toBe("ñandú 🍲");
    expect(String(Item?.n)).toBe(big);
  });

  it("puts a small object and a multipart one (lib-storage) and reads both back", async () => {
    const bucket = uniqueName("clients").toLowerCase();
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "small.txt", Body: "hello" }));
    const small = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "small.txt" }));
    expect(await small.Body?.transformToString()).toBe("hello");

    const large = randomBytes(12 * 1024 * 1024);
    const upload = new Upload({ client: clients.s3, params: { Bucket: bucket, Key: "large.bin", Body: large }, partSize: 5 * 1024 * 1024 });
    let parts = 0;
    upload.on("httpUploadProgress", (p) => {
      if (p.part) parts = Math.max(parts, p.part);
    });
    await upload.done();
    expect(parts).toBe(3);
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "large.bin" }));
    expect(head.ContentLength).toBe(large.length);
    expect(head.ETag).toMatch(/-3"$/); // a multipart ETag
    const back = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "large.bin" }));
    expect(Buffer.from(await (back.Body?.transformToByteArray() ?? new Uint8Array())).equals(large)).toBe(true);
  });
});
