// Issue 22 on the emulator, with the real stacks: nothing lost between a table's stream and its
// archive or audit entry. Large deletions go through the pipes' claim check and restore byte for
// byte; a TTL-sized burst stays under PutEvents' limit; on the templates before the fix the same
// deletion is lost to a pointer (and `trace archive redrive` brings it back from the stream); an
// archiver failing past its retries loses nothing (redrive recovers all, a second changes
// nothing); a poison Configuration record is kept whole and audited after `trace audit redrive`.
// Faults are injected into AWS clients only (a middleware failing chosen calls), never into handlers.
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { silentReporter } from "../../../src/core/reporter";
import { readStackOutputs } from "../../../src/core/resources";
import { stackName } from "../../../src/core/stacks";
import { localHandlers } from "../../../src/local/local-handlers";
import { runLocalStreams } from "../../../src/local/streams-run";
import { runCli } from "../../support/cli";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";
import { projectRoot } from "../../support/paths";

// A region of its own, so this file's stacks and bootstrap meet no other test's.
const REGION = "ap-northeast-3";
const stage = uniqueName("sl");
const dir = mkdtempSync(join(tmpdir(), "trace-stream-losses-"));
const env = { ...emulatorEnv(), TRACE_STATE_DIR: join(dir, "state") };
const trace = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  runCli([...args, "--endpoint-url", emulatorEndpoint(), "--region", REGION], { cwd: dir, env: { ...env, ...extraEnv } });

let clients: AwsClients;
const outputs: Record<string, string> = {};

/** Clients whose calls `fails` picks answer with a 503, as S3 or DynamoDB may. */
function faultyClients(fails: (command: string, input: Record<string, unknown>) => boolean): AwsClients {
  const built = createAwsClients(
    { region: REGION, endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 },
    more,
  );
  // biome-ignore lint/suspicious/noExplicitAny: two clients' middleware stacks, one generic signature
  for (const client of [built.s3, built.dynamodb] as { middlewareStack: { add: (...args: any[]) => void } }[]) {
    client.middlewareStack.add(
      // biome-ignore lint/suspicious/noExplicitAny: the SDK's generic middleware signature
      (next: any, context: any) => async (args: any) => {
        if (fails(context.commandName, args.input ?? {})) {
          throw Object.assign(new Error("Service Unavailable (injected)"), {
            name: "ServiceUnavailable",
            $metadata: { httpStatusCode: 503 },
          });
        }
        return next(args);
      },
      { step: "initialize", name: "injectFault" },
    );
  }
  return built;
}

/** `trace local streams` in this process, over the given clients (the same handlers the CLI builds). */
async function pumpWith(faulty: AwsClients) {
  // The CLI's checkpoints (TRACE_STATE_DIR), so this run reads only what came after the last one.
  const saved = process.env.TRACE_STATE_DIR;
  process.env.TRACE_STATE_DIR = env.TRACE_STATE_DIR;
  try {
    return await runLocalStreams({
      clients: faulty,
      // The day stamper is not what this test is about (it has its own: export/stamper.test.ts).
      env: {
        stage,
        prefix: `${stage}-`,
        archivedTables: ["TRAZABILIDAD", "Configuration"],
        dayIndex: false,
        timeZone: "Europe/Madrid",
        retentionDays: 7,
      },
      root: projectRoot,
      handlers: localHandlers(faulty, silentReporter),
      reporter: silentReporter,
      signal: new AbortController().signal,
    });
  } finally {
    if (saved === undefined) delete process.env.TRACE_STATE_DIR;
    else process.env.TRACE_STATE_DIR = saved;
  }
}

const trazabilidad = () => outputs.TrazabilidadTableName as string;
const put = (item: Record<string, unknown>) =>
  clients.dynamodb.send(new PutItemCommand({ TableName: trazabilidad(), Item: item as never }));
const remove = (id: string) => clients.dynamodb.send(new DeleteItemCommand({ TableName: trazabilidad(), Key: { id: { S: id } } }));
const read = async (id: string) =>
  (await clients.dynamodb.send(new GetItemCommand({ TableName: trazabilidad(), Key: { id: { S: id } }, ConsistentRead: true }))).Item;
const listed = async (prefix: string) =>
  (await clients.s3.send(new ListObjectsV2Command({ Bucket: outputs.DataBucketName, Prefix: prefix }))).Contents?.map((o) => o.Key) ?? [];
const archivedVersions = async (id: string) => {
  const list = await trace(["archive", "list", "--table", "TRAZABILIDAD", "--key", `id=${id}`, "--json"]);
  // A list that matches nothing exits 3 and still prints its (empty) result.
  expect([0, 3], list.stderr).toContain(list.code);
  const versions = JSON.parse(list.stdout).versions as { versionId: string }[];
  expect(list.code === 3).toBe(versions.length === 0);
  return versions;
};

/** A TRAZABILIDAD item of about `bytes` bytes (the brief's three attributes, a text and a binary). */
function bigItem(id: string, bytes: number) {
  const binary = Buffer.alloc(Math.floor(bytes / 2), 0);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 31 + 7) % 256;
  return {
    id: { S: id },
    fecha: { S: "2026-11-23T10:00:00+01:00" },
    estado: { S: "ENTREGADO" },
    notas: { S: "ñ€".repeat(Math.floor(bytes / 2 / 5)) },
    adjunto: { B: binary },
    cantidad: { N: "12345678901234567890.123456789012345678" },
  };
}

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
  for (const stack of ["base", "traceability", "audit", "archive"] as const)
    Object.assign(outputs, await readStackOutputs(clients.cloudformation, stackName({ stage }, stack)));
  // Start from a clean stream: nothing written by deploy waits in it.
  const first = await trace(["--env", "dev", "local", "streams", "--json"]);
  expect(first.code, first.stderr).toBe(0);
}, 400_000);

afterAll(() => clients?.destroy());

describe("large deletions (PutEvents takes less than 256 KB, an item is up to 400 KB)", () => {
  it("a 400 KB deletion is archived through a claim check and restores byte-identical", async () => {
    await put(bigItem("BIG-1", 399_000));
    const before = await read("BIG-1");
    expect(JSON.stringify(before).length).toBeGreaterThan(256_000);
    await remove("BIG-1");

    const run = await trace(["--env", "dev", "local", "streams", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const archiver = JSON.parse(run.stdout).consumers.find((c: { name: string }) => c.name === "archiver:TRAZABILIDAD");
    expect(archiver).toMatchObject({ read: 2, discarded: 0, failed: 0 });
    expect(await listed(`archive-claims/${trazabilidad()}/`)).toHaveLength(1);
    expect(await archivedVersions("BIG-1")).toHaveLength(1);

    const restored = await trace(["archive", "restore", "--table", "TRAZABILIDAD", "--key", "id=BIG-1", "--keep-ttl"]);
    expect(restored.code, restored.stderr).toBe(0);
    const after = await read("BIG-1");
    expect(Buffer.from(after?.adjunto?.B ?? []).equals(Buffer.from(before?.adjunto?.B ?? [1]))).toBe(true);
    expect(after).toEqual(before);
  });

  it("a TTL-sized burst of ten 30 KB deletions is archived, every one", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `BURST-${i}`);
    for (const id of ids) await put(bigItem(id, 30_000));
    for (const id of ids) await remove(id);
    const run = await trace(["--env", "dev", "local", "streams", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    for (const id of ids) expect(await archivedVersions(id), id).toHaveLength(1);
  });

  it("on the templates before the fix the same deletion is lost to a pointer; `trace archive redrive` brings it back", async () => {
    const before = mkdtempSync(join(tmpdir(), "trace-before-22-"));
    cpSync(join(projectRoot, "cloudformation"), before, { recursive: true });
    cpSync(join(projectRoot, "test", "fixtures", "cloudformation", "before-issue-22", "archive.yaml"), join(before, "archive.yaml"));
    await put(bigItem("BIG-OLD", 390_000));
    await remove("BIG-OLD");

    const run = await trace(["--env", "dev", "local", "streams", "--json"], { TRACE_TEMPLATES_DIR: before });
    expect(run.code, run.stderr).toBe(1);
    const archiver = JSON.parse(run.stdout).consumers.find((c: { name: string }) => c.name === "archiver:TRAZABILIDAD");
    expect(archiver.failures).toEqual([
      expect.objectContaining({
        records: 1,
        queueUrl: outputs.ArchiveDeadLetterQueueUrl,
        reason: expect.stringMatching(/not less than 256KB/),
      }),
    ]);
    expect(await archivedVersions("BIG-OLD")).toHaveLength(0);

    const redrive = await trace(["archive", "redrive", "--json"]);
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ archived: 1, failed: 0, lost: 0 });
    expect(await archivedVersions("BIG-OLD")).toHaveLength(1);
    const again = await trace(["archive", "redrive", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ messages: [], archived: 0 });
  });
});

describe("an archiver failing for longer than its retries", () => {
  it("loses nothing: the dead letters keep every deletion, the redrive archives all, a second redrive changes nothing", async () => {
    const ids = ["GONE-1", "GONE-2", "GONE-3"];
    await put(bigItem("GONE-BIG", 390_000));
    for (const id of ids) await put({ id: { S: id }, fecha: { S: "2026-11-23" }, estado: { S: "OK" } });
    await remove("GONE-BIG");
    for (const id of ids) await remove(id);

    // S3 refuses every archive write (and the big one's claim check): the pipe gives up on the
    // big deletion (pointer), the archiver on the others (whole events), after their retries.
    const down = faultyClients((command, input) => command === "PutObjectCommand" && /^archive(-claims)?\//.test(String(input.Key)));
    const result = await pumpWith(down);
    down.destroy();
    const archiver = result.consumers.find((c) => c.name === "archiver:TRAZABILIDAD");
    expect(archiver?.discarded).toBe(4);
    expect(archiver?.failures.map((f) => f.queueUrl).sort()).toEqual(
      [outputs.PipeDeadLetterQueueUrl, ...Array(3).fill(outputs.ArchiveDeadLetterQueueUrl)].sort(),
    );
    for (const id of [...ids, "GONE-BIG"]) expect(await archivedVersions(id), id).toHaveLength(0);

    const redrive = await trace(["archive", "redrive", "--json"]);
    expect(redrive.code, redrive.stderr).toBe(0);
    const report = JSON.parse(redrive.stdout);
    expect(report).toMatchObject({ archived: 4, alreadyArchived: 0, failed: 0, lost: 0, unknown: 0 });
    expect(report.messages.map((m: { queue: string; kind: string }) => `${m.queue}:${m.kind}`).sort()).toEqual([
      "archive:event",
      "archive:event",
      "archive:event",
      "pipes:pointer",
    ]);
    // The pointer's record still has (almost) all of its 24 hours in the stream.
    const pointer = report.messages.find((m: { kind: string }) => m.kind === "pointer");
    expect(pointer.records[0].timeLeftMs).toBeGreaterThan(23 * 3600 * 1000);
    for (const id of [...ids, "GONE-BIG"]) expect(await archivedVersions(id), id).toHaveLength(1);

    const again = await trace(["archive", "redrive"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("nothing to redrive");
    for (const id of [...ids, "GONE-BIG"]) expect(await archivedVersions(id), id).toHaveLength(1);
    for (const url of [outputs.PipeDeadLetterQueueUrl, outputs.ArchiveDeadLetterQueueUrl]) {
      const left = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
      expect(left.Messages ?? []).toEqual([]);
    }
  });
});

describe("a poison Configuration record", () => {
  it("is kept whole in the data bucket after its retries, and audited by `trace audit redrive` (once)", async () => {
    const table = outputs.ConfigurationTableName as string;
    const change = (key: string, value: string) =>
      clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { key: { S: key }, limits: { M: { daily: { N: value } } } } }));
    await change("GOOD_A", "1");
    await change("POISON", "10");
    await change("GOOD_B", "2");

    // The Audit table refuses POISON's entries (a 503), as long as the mapping retries.
    const poisoned = faultyClients(
      (command, input) => command === "PutItemCommand" && JSON.stringify(input.Item ?? {}).includes('"itemKey":{"S":"POISON"}'),
    );
    const result = await pumpWith(poisoned);
    poisoned.destroy();
    const audit = result.consumers.find((c) => c.name === "audit_producer");
    expect(audit?.failures).toEqual([expect.objectContaining({ object: expect.stringMatching(/^s3:\/\/.+\/aws\/lambda\//) })]);

    // The object holds the invocation record and the records themselves, POISON's new image included.
    const [key] = await listed("aws/lambda/");
    const object = JSON.parse(
      (await (await clients.s3.send(new GetObjectCommand({ Bucket: outputs.DataBucketName, Key: key }))).Body?.transformToString()) ?? "{}",
    );
    expect(object.requestContext.condition).toBe("RetryAttemptsExhausted");
    const poison = object.payload.Records.find((r: { dynamodb: { Keys: { key: { S: string } } } }) => r.dynamodb.Keys.key.S === "POISON");
    expect(poison.dynamodb.NewImage).toEqual({ key: { S: "POISON" }, limits: { M: { daily: { N: "10" } } } });

    const history = () =>
      clients.dynamodb.send(
        new QueryCommand({
          TableName: outputs.AuditTableName,
          IndexName: outputs.AuditHistoryIndexName,
          KeyConditionExpression: "itemKey = :k",
          ExpressionAttributeValues: { ":k": { S: "POISON" } },
        }),
      );
    expect((await history()).Items ?? []).toEqual([]);

    const redrive = await trace(["audit", "redrive", "--json"]);
    expect(redrive.code, redrive.stderr).toBe(0);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ failed: 0, lost: 0 });
    expect((await history()).Items).toHaveLength(1);
    const shown = await trace(["audit", "show", "POISON", "--json"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)[0].newValue).toEqual({ key: "POISON", limits: { daily: 10 } });

    const again = await trace(["audit", "redrive", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ objects: [], written: 0 });
    expect((await history()).Items).toHaveLength(1);
    expect(await listed("aws/lambda/")).toEqual([]);
  });
});
