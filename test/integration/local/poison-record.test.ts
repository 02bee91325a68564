// `trace local streams` with a record the audit handler cannot process, between good ones, on the
// emulator with the real stacks: the deployed mapping's settings (read from audit.yaml) make the
// run retry, give up, keep the batch whole in the on-failure bucket (Lambda's invocation record
// and the records, aws/lambda/<mapping>/<shard>/...) and move on.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { readStackOutputs } from "../../../src/core/resources";
import { stackName } from "../../../src/core/stacks";
import { runCli } from "../../support/cli";
import { loadTemplate, onlyResource } from "../../support/cloudformation";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";
import { projectRoot } from "../../support/paths";

// A region of its own, so this file's stacks and bootstrap meet no other test's.
const REGION = "ap-southeast-3";
const stage = uniqueName("p");
const dir = mkdtempSync(join(tmpdir(), "trace-poison-"));
const env = { ...emulatorEnv(), TRACE_STATE_DIR: join(dir, "state") };
const trace = (args: string[]) => runCli([...args, "--endpoint-url", emulatorEndpoint(), "--region", REGION], { cwd: dir, env });

// The documented on-failure record (test/fixtures/aws-events), the shape the queue must hold.
const documented = JSON.parse(
  readFileSync(join(projectRoot, "test", "fixtures", "aws-events", "lambda-dynamodb-on-failure-record.json"), "utf8"),
).event;
const shape = (value: unknown): unknown =>
  value && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)])) : typeof value;

let clients: AwsClients;
let outputs: Record<string, string>;

beforeAll(async () => {
  writeFileSync(
    join(dir, "trace.config.yaml"),
    `defaultEnv: dev
environments:
  dev:
    stage: ${stage}
    region: ${REGION}
    prefix: ${stage}-
    streamTriggers: false
`,
  );
  const deployed = await trace(["deploy", "--yes"]);
  expect(deployed.code, deployed.stderr).toBe(0);
  clients = createAwsClients({ region: REGION, endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS }, more);
  outputs = {
    ...(await readStackOutputs(clients.cloudformation, stackName({ stage }, "base"))),
    ...(await readStackOutputs(clients.cloudformation, stackName({ stage }, "audit"))),
  };
}, 300_000);

afterAll(() => clients?.destroy());

describe("trace local streams with a poison record", () => {
  it("retries as the template says, keeps the failed batch whole in the bucket, processes the good records and moves on", async () => {
    const table = outputs.ConfigurationTableName;
    const put = (key: string, value: string) =>
      clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { key: { S: key }, value: { S: value } } }));
    const big = (c: string) => c.repeat(210_000);
    await put("GOOD_1", "1");
    await put("GOOD_2", "2");
    await put("BIG", big("a"));
    // The poison: replacing BIG's 210 KB value makes an audit entry with the old and the new value,
    // 420 KB, over DynamoDB's 400 KB item limit (the emulator enforces it too).
    await put("BIG", big("b"));
    await put("GOOD_3", "3");
    await put("GOOD_4", "4");

    const first = await trace(["--env", "dev", "local", "streams", "--json"]);
    expect(first.code, first.stderr).toBe(1);
    const result = JSON.parse(first.stdout);
    const audit = result.consumers.find((c: { name: string }) => c.name === "audit_producer");
    const [, mapping] = onlyResource(loadTemplate("audit"), "AWS::Lambda::EventSourceMapping");
    // Everything read is finished (nothing left to retry); the failed record and the rest of its batch are reported.
    expect(audit).toMatchObject({ read: 6, handled: 6, failed: 0, discarded: 3 });
    expect(audit.failures).toEqual([
      expect.objectContaining({
        records: 3,
        attempts: mapping.Properties.MaximumRetryAttempts + 1,
        object: expect.stringMatching(new RegExp(`^s3://${outputs.DataBucketName}/aws/lambda/`)),
      }),
    ]);
    expect(audit.failures[0].reason).toMatch(/record as failed/);
    expect(first.stderr).toContain("gave up on 3 record(s)");

    // The good records, before and after the poison, are audited.
    for (const key of ["GOOD_1", "GOOD_2", "GOOD_3", "GOOD_4"]) {
      const { Items } = await clients.dynamodb.send(
        new QueryCommand({
          TableName: outputs.AuditTableName,
          IndexName: outputs.AuditHistoryIndexName,
          KeyConditionExpression: "itemKey = :k",
          ExpressionAttributeValues: { ":k": { S: key } },
        }),
      );
      expect(Items, key).toHaveLength(1);
    }

    // The bucket holds one object: Lambda's invocation record, shaped as AWS documents it, naming
    // the poison's position, and the records themselves.
    const listed = async () =>
      (await clients.s3.send(new ListObjectsV2Command({ Bucket: outputs.DataBucketName, Prefix: "aws/lambda/" }))).Contents ?? [];
    const objects = await listed();
    expect(objects).toHaveLength(1);
    const body = await clients.s3.send(new GetObjectCommand({ Bucket: outputs.DataBucketName, Key: objects[0]?.Key }));
    const { payload, ...message } = JSON.parse((await body.Body?.transformToString()) ?? "{}");
    expect(payload.Records.map((r: { dynamodb: { Keys: { key: { S: string } } } }) => r.dynamodb.Keys.key.S)).toEqual([
      "BIG",
      "GOOD_3",
      "GOOD_4",
    ]);
    // The documented record comes from a thrown invocation ("functionError": "Unhandled"); here the
    // handler returned the record as a batch item failure, so the function reported no error.
    const { functionError, ...response } = documented.responseContext;
    expect(functionError).toBe("Unhandled");
    expect(shape(message)).toEqual(shape({ ...documented, responseContext: response }));
    expect(message.requestContext).toMatchObject({
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: mapping.Properties.MaximumRetryAttempts + 1,
      functionArn: outputs.AuditProducerAliasArn,
    });
    expect(message.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: audit.failures[0].startSequenceNumber,
      endSequenceNumber: audit.failures[0].endSequenceNumber,
      batchSize: 3,
      streamArn: outputs.ConfigurationStreamArn,
    });

    // A rerun reads nothing again and sends nothing again.
    const again = await trace(["--env", "dev", "local", "streams", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).consumers.find((c: { name: string }) => c.name === "audit_producer")).toMatchObject({
      read: 0,
      discarded: 0,
    });
    expect(await listed()).toHaveLength(1);

    // A redrive cannot audit a change whose entry is over 400 KB either: it says so, writes the
    // other records' entries (already there: duplicates) and keeps the object.
    const redrive = await trace(["audit", "redrive", "--json"]);
    expect(redrive.code, redrive.stderr).toBe(1);
    const report = JSON.parse(redrive.stdout);
    expect(report).toMatchObject({ failed: 1, written: 0 });
    expect(report.objects[0].records.map((r: { status: string }) => r.status)).toEqual(["failed", "already-audited", "already-audited"]);
    expect(await listed()).toHaveLength(1);

    // The human table says the same.
    await put("GOOD_5", "5");
    const human = await trace(["--env", "dev", "local", "streams"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/audit_producer\s+1\s+1\s+0\s+0/);
  }, 180_000);
});
