// Least privilege with IAM enforced: a separate moto server with its no-auth allowance set to the
// three calls that create an admin user, so every later request is authorized against IAM. Each
// role is created from its template's policy (parameters resolved), assumed through STS, and its
// real paths run with those credentials; then each statement is removed in turn and some path
// must fail. moto authorizes S3 and SQS against the resource ARN; DynamoDB, KMS, EventBridge,
// Lambda and CloudWatch Logs only against Resource "*" (their responses name no resource), so a
// resource-scoped statement for them can never match there: those statements are listed below as
// not enforced by the emulator, and the paths use admin credentials for those services.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler as createArchiver } from "../../../lambda/archiver";
import { createHandler as createAuditProducer } from "../../../lambda/audit-producer";
import { configFromEnv, createHandler as createExport } from "../../../lambda/export";
import { toPipeBusEvent } from "../../../src/core/archive/pipe-event";
import { createAwsClients } from "../../../src/core/aws/clients";
import { type RunningEmulator, startEmulator } from "../../../src/core/local/emulator";
import { silentReporter } from "../../../src/core/reporter";
import type { StackId } from "../../../src/core/stacks";
import { readStream } from "../../../src/core/streams";
import { type CallLog, callLog, recordCalls } from "../../support/call-recorder";
import { loadTemplate, resource, roleStatements } from "../../support/cloudformation";
import { createStreamTable, stringKey } from "../../support/fixtures";
import { type PolicyDocument, type ResolveContext, rolePolicy } from "../../support/iam-roles";
import { projectRoot } from "../../support/paths";
import { insertRecord } from "../../support/stream-records";
import { createAuditTables } from "../audit/audit-tables";
import { checkCalls, modelledCalls, whoCallsWhat } from "./calls";

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const PREFIX = "it-";
const BUCKET = "it-trace-data";
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;

/** The services whose statements moto cannot enforce (it authorizes them against Resource "*" only). */
const NOT_ENFORCED = ["dynamodb", "kms", "events", "lambda", "logs"];

let emulator: RunningEmulator;
let admin: Credentials;
const queues: Record<string, { url: string; arn: string }> = {};
/** What the emulator named: the tables (random audit names) and their streams. */
const made = { trazabilidadStream: "", configurationTable: "", configurationStream: "", auditTable: "" };
/** Every call of every principal while the paths run with the template's policies. */
const log: CallLog = callLog();
let recording: CallLog | undefined;
const WHERE = { region: REGION, account: ACCOUNT };

function py(request: Record<string, unknown>, credentials: Credentials | null = admin) {
  const python = join(projectRoot, ".venv", "bin", "python");
  const run = spawnSync(python, [join(projectRoot, "test", "support", "iam-emulator.py")], {
    input: JSON.stringify({ endpoint: emulator.endpoint, credentials, ...request }),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { ok?: Record<string, string> & { bodies?: string[] }; error?: string };
}

function ok(request: Record<string, unknown>, credentials: Credentials | null = admin) {
  const answer = py(request, credentials);
  if (!answer.ok) throw new Error(`${request.op}: ${answer.error}`);
  return answer.ok;
}

const context = (): ResolveContext => ({
  values: {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    Prefix: PREFIX,
    Stage: "it",
    DataBucketName: BUCKET,
    DataKeyArn: KEY_ARN,
    PermissionsBoundaryArn: "",
    TrazabilidadStreamArn: made.trazabilidadStream,
    ConfigurationStreamArn: made.configurationStream,
  },
  refs: {},
  arns: {
    TrazabilidadTable: arn("dynamodb", `table/${PREFIX}TRAZABILIDAD`),
    ConfigurationTable: arn("dynamodb", `table/${made.configurationTable}`),
    AuditTable: arn("dynamodb", `table/${made.auditTable}`),
    ExportDeadLetterQueue: queues.export?.arn as string,
    ArchiveDeadLetterQueue: queues.archive?.arn as string,
    AuditFailureQueue: queues.audit?.arn as string,
    ExportFunction: arn("lambda", `function:${PREFIX}trazabilidad_export`),
    ArchiveBus: arn("events", `event-bus/${PREFIX}trace-archive`),
    // GetAtt LogGroup.Arn ends in ":*".
    ExportLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}trazabilidad_export:*`),
    ArchiverLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}archiver:*`),
    AuditProducerLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}audit_producer:*`),
  },
});

/** Creates (or replaces the policy of) a role and returns credentials of an assumed session. */
function assumeRole(name: string, policy: PolicyDocument): Credentials {
  // moto cannot act as a service principal: the trust policy names the test's admin user, who
  // stands in for lambda/pipes/scheduler.amazonaws.com and assumes the role through STS.
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/test-admin` }, Action: "sts:AssumeRole" }],
  };
  const role = ok({ op: "role", name, trust, policy });
  return ok({ op: "assume", roleArn: role.arn }) as unknown as Credentials;
}

/** Clients with these credentials; while recording, every call is logged as `principal`. */
function clients(credentials: Credentials, principal?: string) {
  const built = createAwsClients({ region: REGION, endpointUrl: emulator.endpoint, credentials, maxAttempts: 1 });
  if (recording && principal)
    for (const client of [built.s3, built.dynamodb, built.streams]) recordCalls(client, principal, recording, WHERE);
  return built;
}

const logger = new Logger({ serviceName: "iam-test", logLevel: "CRITICAL" });

/** A path: the calls a principal makes, run with the given credentials; throws when any is denied. */
type Path = (role: Credentials, principal: string) => Promise<void>;

// A send to a KMS-encrypted queue (SQS asks KMS for a data key with the sender's credentials).
const sendTo =
  (queue: string): Path =>
  async (role, principal) => {
    const queueArn = queues[queue]?.arn as string;
    recording?.add({ principal, action: "sqs:SendMessage", resource: queueArn, implied: "dead-letter/on-failure send (driven)" });
    recording?.add({ principal, action: "kms:GenerateDataKey", resource: KEY_ARN, implied: "SSE-KMS queue on sqs:SendMessage" });
    recording?.add({ principal, action: "kms:Decrypt", resource: KEY_ARN, implied: "SSE-KMS queue on sqs:SendMessage" });
    const answer = py({ op: "send", url: queues[queue]?.url, body: `{"from":"${queue}"}` }, role);
    if (!answer.ok) throw new Error(`SendMessage to ${queue}: ${answer.error}`);
  };

// What a DynamoDB stream source does (the Pipe, and Lambda's event source mapping with the
// function's role): describe the stream, get a shard iterator, read the records.
const readsStream =
  (stream: () => string): Path =>
  async (_role, principal) => {
    const { records } = await readStream(clients(admin, principal).streams, stream());
    expect(Array.isArray(records)).toBe(true);
  };

// The audit producer on a batch with one record that cannot be written (its entry is too large):
// the batch reports it, and the event source mapping sends the batch's description to the
// on-failure queue with the function's role.
const auditBatch: Path = async (role, principal) => {
  const handle = createAuditProducer({
    dynamodb: clients(admin, principal).dynamodb,
    auditTableName: made.auditTable,
    reporter: silentReporter,
  });
  const fine = insertRecord({ key: { S: "A" }, value: { S: "1" } });
  const poison = insertRecord({ key: { S: "BIG" }, value: { S: "x".repeat(404_980) } });
  const response = await handle({ Records: [fine, poison] });
  expect(response.batchItemFailures).toHaveLength(1);
  await sendTo("audit")(role, principal);
};

// The export's writes: the scheduled handler (CSV and manifest for two days), then a multipart
// upload and an aborted one (the export uploads with lib-storage in 8 MiB parts and aborts on failure).
const exportWrites: Path = async (role, principal) => {
  const adminClients = clients(admin, principal);
  const handler = createExport({
    clients: { dynamodb: adminClients.dynamodb, s3: clients(role, principal).s3 },
    logger,
    config: () =>
      configFromEnv({
        TABLE_NAME: `${PREFIX}TRAZABILIDAD`,
        BUCKET_NAME: BUCKET,
        KMS_KEY_ARN: KEY_ARN,
        TIME_ZONE: "Europe/Madrid",
        SCAN_SEGMENTS: "2",
      }),
  });
  await handler({ scheduledTime: "2026-11-23T18:00:00Z" }, { getRemainingTimeInMillis: () => 900_000 });
  const s3 = clients(role, principal).s3 as S3Client;
  const Key = "exports/it-TRAZABILIDAD/dt=2026-11-23/multipart.csv";
  const sse = { ServerSideEncryption: "aws:kms", SSEKMSKeyId: KEY_ARN } as const;
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key, ...sse }));
  const part = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: "a,b\n1,2\n" }));
  await s3.send(
    new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
  );
  const aborted = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${Key}.aborted`, ...sse }));
  await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: `${Key}.aborted`, UploadId: aborted.UploadId }));
};

// The archiver's writes: a REMOVE event as the Pipe delivers it (hash-key table: no DescribeTable).
const archiveWrites: Path = async (role, principal) => {
  const handle = createArchiver({
    s3: clients(role, principal).s3,
    dynamodb: clients(admin, principal).dynamodb,
    bucket: BUCKET,
    kmsKeyArn: KEY_ARN,
    reporter: silentReporter,
  });
  const record = {
    eventID: "1",
    eventName: "REMOVE",
    eventSource: "aws:dynamodb",
    awsRegion: REGION,
    eventSourceARN: context().values.TrazabilidadStreamArn,
    dynamodb: {
      Keys: { id: { S: "gone" } },
      OldImage: { id: { S: "gone" }, fecha: { S: "2026-11-23T10:00:00Z" } },
      SequenceNumber: "1",
      ApproximateCreationDateTime: 1_763_900_000,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    },
  };
  const outcome = await handle(toPipeBusEvent(record as never));
  expect(outcome).toBeTruthy();
};

interface RoleCase {
  stack: StackId;
  role: string;
  /** Every path this principal runs. */
  paths: Path[];
}

const ROLES: RoleCase[] = [
  { stack: "traceability", role: "ExportRole", paths: [exportWrites, sendTo("export")] },
  { stack: "traceability", role: "SchedulerRole", paths: [sendTo("export")] },
  { stack: "audit", role: "AuditProducerRole", paths: [readsStream(() => made.configurationStream), auditBatch] },
  { stack: "archive", role: "ArchiverRole", paths: [archiveWrites, sendTo("archive")] },
  { stack: "archive", role: "PipeRole", paths: [readsStream(() => made.trazabilidadStream), sendTo("archive")] },
];

const enforced = (statement: PolicyDocument["Statement"][number]) =>
  [statement.Action].flat().some((action) => !NOT_ENFORCED.includes(action.split(":")[0] as string));

describe("every role under IAM enforcement (separate moto server)", () => {
  beforeAll(async () => {
    process.env.INITIAL_NO_AUTH_ACTION_COUNT = "3";
    try {
      emulator = await startEmulator({ root: projectRoot, logFile: join(projectRoot, ".trace", "moto-iam-test.log") });
    } finally {
      delete process.env.INITIAL_NO_AUTH_ACTION_COUNT;
    }
    admin = ok({ op: "admin" }, null) as unknown as Credentials;
    for (const name of ["export", "archive", "audit"]) queues[name] = ok({ op: "queue", name: `${PREFIX}${name}-dlq` }) as never;
    const adminClients = clients(admin);
    await adminClients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    made.trazabilidadStream = await createStreamTable(adminClients.dynamodb, { TableName: `${PREFIX}TRAZABILIDAD`, ...stringKey("id") });
    const audit = await createAuditTables(adminClients.dynamodb);
    Object.assign(made, {
      configurationTable: audit.configurationTable,
      configurationStream: audit.streamArn,
      auditTable: audit.auditTable,
    });
  });
  afterAll(async () => emulator?.stop());

  it("is on: the admin-less, policy-less caller is denied", async () => {
    const nobody = assumeRole(`${PREFIX}nothing`, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sqs:ListQueues", Resource: "*" }],
    });
    await expect(sendTo("export")(nobody, "nobody")).rejects.toThrow(/AccessDenied|403/);
    await expect(archiveWrites(nobody, "nobody")).rejects.toThrow(/Access ?Denied/i);
  });

  for (const { stack, role, paths } of ROLES) {
    it(`${role}: every path passes with the template's policy`, async () => {
      const credentials = assumeRole(`${PREFIX}${role}`, rolePolicy(stack, role, context()));
      recording = log;
      try {
        for (const path of paths) await path(credentials, role);
      } finally {
        recording = undefined;
      }
    });

    it(`${role}: removing any enforced statement makes some path fail`, async () => {
      const policy = rolePolicy(stack, role, context());
      const statements = policy.Statement.filter(enforced);
      expect(statements.length).toBeGreaterThan(0);
      for (const removed of statements) {
        const credentials = assumeRole(`${PREFIX}${role}`, { ...policy, Statement: policy.Statement.filter((s) => s !== removed) });
        const results = await Promise.allSettled(paths.map((path) => path(credentials, role)));
        const denied = results.filter((r) => r.status === "rejected" && /denied|403/i.test(String(r.reason)));
        expect(denied.length, `${role} without ${removed.Sid} still passes every path`).toBeGreaterThan(0);
      }
    });
  }

  it("names the statements moto cannot enforce (covered by the template checks, not here)", () => {
    const unenforced = ROLES.flatMap(({ stack, role }) =>
      rolePolicy(stack, role, context())
        .Statement.filter((s) => !enforced(s))
        .map((s) => `${role}.${s.Sid}`),
    );
    expect(unenforced).toEqual([
      "ExportRole.ReadTrazabilidad",
      "ExportRole.UseDataKey",
      "ExportRole.WriteOwnLogs",
      "SchedulerRole.InvokeExportOnly",
      "SchedulerRole.EncryptedDeadLetterQueue",
      "AuditProducerRole.ReadConfigurationStream",
      "AuditProducerRole.PutAuditEntries",
      "AuditProducerRole.EncryptedFailureQueue",
      "AuditProducerRole.WriteOwnLogs",
      "ArchiverRole.EncryptWithDataKey",
      "ArchiverRole.ReadKeySchemaOfArchivedTables",
      "ArchiverRole.EncryptedDeadLetterQueue",
      "ArchiverRole.WriteOwnLogs",
      "PipeRole.ReadArchivedStreams",
      "PipeRole.PutOnArchiveBus",
      "PipeRole.EncryptedDeadLetterQueue",
    ]);
  });

  it("every recorded and modelled call is allowed by its principal's policy and the key policy; none is unused", () => {
    const calls = [...log.calls, ...modelledCalls(context(), WHERE)];
    const policies = Object.fromEntries(ROLES.map(({ stack, role }) => [role, rolePolicy(stack, role, context())]));
    expect(checkCalls(calls, policies, context(), ACCOUNT)).toEqual({ denied: [], unused: [] });
  });

  it("README's 'Who calls what (generated)' table is the recorded list", () => {
    const calls = [...log.calls, ...modelledCalls(context(), WHERE)];
    const policies = Object.fromEntries(ROLES.map(({ stack, role }) => [role, rolePolicy(stack, role, context())]));
    const raw = (role: string, sid: string) => {
      const found = ROLES.find((r) => r.role === role) as RoleCase;
      return roleStatements(resource(loadTemplate(found.stack), role)).find((s: { Sid: string }) => s.Sid === sid);
    };
    const table = whoCallsWhat(calls, policies, context(), ACCOUNT, raw);
    const readme = join(projectRoot, "README.md");
    const current = readFileSync(readme, "utf8");
    const updated = replaceSection(current, table);
    if (process.env.UPDATE_CALL_TABLE) writeFileSync(readme, updated);
    else expect(current, "README's table is stale: run `npm run docs:calls`").toBe(updated);
  });
});

const BEGIN = "<!-- who-calls-what:begin (generated by `npm run docs:calls`; do not edit) -->";
const END = "<!-- who-calls-what:end -->";

function replaceSection(readme: string, table: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < 0) throw new Error("README has no who-calls-what markers");
  return `${readme.slice(0, start + BEGIN.length)}\n${table}${readme.slice(end)}`;
}
