// Versions and rollback on the emulator, through the built CLI: deploy, change the audit handler in
// a copy of the package, deploy again (a new version, learn moves to it), roll back (learn names the
// first version again, no deploy), and the Configuration stream is then processed by that first
// version: `trace local streams` runs the code of the version the alias names.
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { GetAliasCommand, ListVersionsByFunctionCommand } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { readStackOutputs } from "../../../src/core/resources";
import { FUNCTIONS, stackName } from "../../../src/core/stacks";
import { runCli } from "../../support/cli";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";
import { projectRoot } from "../../support/paths";

// A region of its own, so this file's stacks and bootstrap meet no other test's.
const REGION = "ca-central-1";
const stage = uniqueName("rb");
const dir = mkdtempSync(join(tmpdir(), "trace-rollback-"));
const env = { ...emulatorEnv(), TRACE_STATE_DIR: join(dir, "state") };

/** A copy of the package (built CLI, sources, templates) whose audit handler can be edited. */
function packageCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), "trace-package-"));
  for (const part of ["bin", "dist", "lambda", "src", "cloudformation", "package.json", "tsconfig.json"])
    cpSync(join(projectRoot, part), join(copy, part), { recursive: true });
  symlinkSync(join(projectRoot, "node_modules"), join(copy, "node_modules"));
  return copy;
}
const copy = packageCopy();
const trace = (args: string[], root?: string) =>
  runCli([...args, "--endpoint-url", emulatorEndpoint(), "--region", REGION], { cwd: dir, env, ...(root ? { packageRoot: root } : {}) });

// Version 2 of the handler marks every Audit entry it writes (a middleware on its PutItem calls).
const CLIENT_LINE = "const dynamodb = createDynamoDbClient(lambdaAwsSettings());";
const MARKED = `${CLIENT_LINE}
dynamodb.middlewareStack.add((next) => async (args) => {
  const input = args.input;
  if (input?.Item) input.Item.deployedBy = { S: "v2" };
  return next(args);
}, { step: "initialize", name: "markV2" });`;

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
  nodia:
    stage: ${stage}n
    region: ${REGION}
    prefix: ${stage}n-
    streamTriggers: false
    dayIndex: false
`,
  );
  const deployed = await trace(["deploy", "--yes", "--no-forecast"]);
  expect(deployed.code, deployed.stderr).toBe(0);
  clients = createAwsClients({ region: REGION, endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS }, more);
  outputs = { ...(await readStackOutputs(clients.cloudformation, stackName({ stage }, "audit"))) };
}, 300_000);

afterAll(() => clients?.destroy());

const learn = async () =>
  (await clients.lambda.send(new GetAliasCommand({ FunctionName: outputs.AuditProducerFunctionName, Name: "learn" }))).FunctionVersion;

async function auditEntry(key: string) {
  const { Items } = await clients.dynamodb.send(
    new QueryCommand({
      TableName: outputs.AuditTableName,
      IndexName: outputs.AuditHistoryIndexName,
      KeyConditionExpression: "itemKey = :k",
      ExpressionAttributeValues: { ":k": { S: key } },
    }),
  );
  expect(Items, `the audit entry of ${key}`).toHaveLength(1);
  return Items?.[0] ?? {};
}

async function changeAndProcess(key: string) {
  await clients.dynamodb.send(
    new PutItemCommand({ TableName: outputs.ConfigurationTableName, Item: { key: { S: key }, value: { N: "1" } } }),
  );
  const streams = await trace(["--env", "dev", "local", "streams", "--json"]);
  expect(streams.code, streams.stderr).toBe(0);
  return auditEntry(key);
}

describe("versions behind the alias learn, and trace rollback", () => {
  it("publishes version 1 on the first deploy and moves learn to a new version when the handler changes", async () => {
    expect(await learn()).toBe("1");
    expect((await changeAndProcess("BEFORE")).deployedBy).toBeUndefined();

    const source = join(copy, "lambda", "audit-producer.ts");
    const text = readFileSync(source, "utf8");
    expect(text).toContain(CLIENT_LINE);
    writeFileSync(source, text.replace(CLIENT_LINE, MARKED));
    const second = await trace(["deploy", "audit", "--yes", "--no-forecast", "--json"], copy);
    expect(second.code, second.stderr).toBe(0);
    const summary = second.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((l) => l.type === "summary");
    expect(summary.aliases).toContainEqual(
      expect.objectContaining({ functionName: outputs.AuditProducerFunctionName, alias: "learn", version: "2", previous: "1" }),
    );
    expect(await learn()).toBe("2");
    // The new version processes the stream: its entries carry the mark.
    expect((await changeAndProcess("ON_V2")).deployedBy).toEqual({ S: "v2" });
  });

  it("rolls learn back to version 1 without a deploy; the stream is then processed by version 1", async () => {
    const refused = await trace(["rollback", "audit_producer"]);
    expect(refused.code).toBe(2); // no terminal and no --yes
    expect(await learn()).toBe("2");

    const rolled = await trace(["rollback", "audit_producer", "--yes", "--json"]);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({ alias: "learn", from: { version: "2" }, to: { version: "1" } });
    expect(await learn()).toBe("1");
    const { Versions } = await clients.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: outputs.AuditProducerFunctionName }));
    expect(Versions?.map((v) => v.Version)).toEqual(["$LATEST", "1", "2"]);
    // $LATEST still holds version 2's code; learn names version 1, and that is what processes the stream.
    expect((await changeAndProcess("AFTER_ROLLBACK")).deployedBy).toBeUndefined();

    const status = await trace(["status", "--json"]);
    expect(JSON.parse(status.stdout).aliases).toContainEqual(
      expect.objectContaining({ functionName: outputs.AuditProducerFunctionName, version: "1", latest: "2", rolledBackFrom: "2" }),
    );
  });

  it("a redeploy of the same code keeps the rollback; there is nothing before version 1", async () => {
    const again = await trace(["deploy", "audit", "--yes", "--no-forecast"], copy);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("alias learn stays on version 1");
    expect(await learn()).toBe("1");
    const nothing = await trace(["rollback", "audit_producer", "--yes"]);
    expect(nothing.code).toBe(4);
    expect(nothing.stderr).toContain("the oldest there is");
    const unknown = await trace(["rollback", "nosuch", "--yes"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("audit_producer");
  });
});

// The functions versioned in issue 23's follow-up (stamper, archive_claims, archive_redrive, drill)
// deploy, roll back and show in status like the first four; archive_claims, the pipes' enrichment,
// is run locally by the version its alias names.
describe("every function behind its alias", () => {
  const claims = `${stage}-archive_claims`;
  const live = async () => (await clients.lambda.send(new GetAliasCommand({ FunctionName: claims, Name: "live" }))).FunctionVersion;
  /** A Configuration item written and deleted, then `trace local streams`: the archive pipe's consumer and what the run said. */
  const pipeRun = async (key: string) => {
    await clients.dynamodb.send(new PutItemCommand({ TableName: outputs.ConfigurationTableName, Item: { key: { S: key } } }));
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: outputs.ConfigurationTableName, Key: { key: { S: key } } }));
    const streams = await trace(["--env", "dev", "local", "streams", "--json"]);
    const result = JSON.parse(streams.stdout) as { consumers: { name: string; handled: number; failed: number; discarded: number }[] };
    return { ...streams, pipe: result.consumers.find((c) => c.name === "archiver:Configuration") };
  };

  it("status lists every function's alias, each on the version its first deploy published", async () => {
    const status = await trace(["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const aliases = JSON.parse(status.stdout).aliases as { function: string; alias: string; version: string; latest: string }[];
    expect(aliases.map((a) => `${a.function}:${a.alias}`).sort()).toEqual(
      Object.entries(FUNCTIONS)
        .map(([id, f]) => `${id}:${f.alias}`)
        .sort(),
    );
    for (const id of ["stamper", "archiveClaims", "archiveRedrive", "drill"])
      expect(
        aliases.find((a) => a.function === id),
        id,
      ).toMatchObject({ version: "1", latest: "1" });
    const stamper = await trace(["rollback", "trazabilidad_stamper", "--yes"]);
    expect(stamper.code).toBe(4);
    expect(stamper.stderr).toContain("the oldest there is");
  });

  it("a broken archive_claims is deployed as version 2 and rolled back to 1; the pipe's enrichment then runs version 1 again", async () => {
    const first = await pipeRun("CLAIMS_V1");
    expect(first.code, first.stderr).toBe(0);
    expect(first.pipe?.handled).toBeGreaterThan(0);
    const source = join(copy, "lambda", "archive-claims.ts");
    const text = readFileSync(source, "utf8");
    const start = "  return async (event) => {\n";
    expect(text).toContain(start);
    writeFileSync(source, text.replace(start, `${start}    throw new Error("archive_claims version 2 is broken on purpose");\n`));
    const deployed = await trace(["deploy", "archive", "--yes", "--no-forecast"], copy);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stderr).toContain(`${claims}: alias live → version 2 (was 1)`);
    expect(await live()).toBe("2");
    // Version 2's own error: the local pipe gave the deletion up to the pipes' dead-letter queue.
    const broken = await pipeRun("CLAIMS_V2");
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("archive_claims version 2 is broken on purpose");
    expect(broken.pipe?.discarded).toBe(1);

    const rolled = await trace(["rollback", "archive_claims", "--yes", "--json"]);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({
      function: "archiveClaims",
      alias: "live",
      from: { version: "2" },
      to: { version: "1" },
    });
    expect(await live()).toBe("1");
    const fixed = await pipeRun("CLAIMS_AFTER_ROLLBACK");
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stderr).not.toContain("broken on purpose");
    expect(fixed.pipe).toMatchObject({ failed: 0, discarded: 0 });
    expect(fixed.pipe?.handled).toBeGreaterThan(0);
  });

  it("without the day index there is no stamper: deploy, status and rollback leave it out", async () => {
    const deployed = await trace(["--env", "nodia", "deploy", "--yes", "--no-forecast", "--json"]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const status = await trace(["--env", "nodia", "status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const functions = (JSON.parse(status.stdout).aliases as { function: string; version: string }[]).map((a) => a.function);
    expect(functions.sort()).toEqual(
      Object.keys(FUNCTIONS)
        .filter((id) => id !== "stamper")
        .sort(),
    );
    const stamper = await trace(["--env", "nodia", "rollback", "trazabilidad_stamper", "--yes"]);
    expect(stamper.code).toBe(2);
    expect(stamper.stderr).toContain("no versioned function");
  });
});
