// The IAM-enforced test's harness: a separate moto server's admin, the roles created from the
// templates, and each principal's paths (the calls its service makes), run with given credentials.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { expect } from "vitest";
import { createHandler as createClaims } from "../../../lambda/archive-claims";
import { createHandler as createArchiver } from "../../../lambda/archiver";
import { createHandler as createAuditProducer } from "../../../lambda/audit-producer";
import { createHandler as createDrill } from "../../../lambda/drill";
import { configFromEnv, createHandler as createExport } from "../../../lambda/export";
import { createHandler as createNative, configFromEnv as nativeConfigFromEnv } from "../../../lambda/export-native";
import { keySchemaCache } from "../../../src/core/archive/key-schema";
import { toPipeBusEvent } from "../../../src/core/archive/pipe-event";
import { recoverDeadLetter } from "../../../src/core/archive/redrive";
import { createAwsClients } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import type { PreparedDrill } from "../../../src/core/drill/steps";
import { assembleObject } from "../../../src/core/export/native/assemble";
import type { ExportState, FileRef, NativeJob } from "../../../src/core/export/native/job";
import type { RangeRef } from "../../../src/core/export/native/phases";
import { runStamper } from "../../../src/core/export/stamp/run";
import { silentReporter } from "../../../src/core/reporter";
import { sleep } from "../../../src/core/sleep";
import type { StackId } from "../../../src/core/stacks";
import type { RunningEmulator } from "../../../src/local/emulator";
import {
  localMappingUuid,
  pipeDeadLetterRecord,
  s3FailureObjectKey,
  s3FailureSink,
  streamInvocationRecord,
} from "../../../src/local/failure-records";
import { readStream } from "../../../src/local/streams";
import { type CallLog, callLog, recordCalls } from "../../support/call-recorder";
import type { PolicyDocument, ResolveContext } from "../../support/iam-roles";
import { projectRoot } from "../../support/paths";
import { insertRecord, removeRecord } from "../../support/stream-records";

export type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
export const PREFIX = "it-";
export const BUCKET = "it-trace-data";
export const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;

/**
 * The services whose statements moto cannot enforce (it authorizes them against Resource "*" only),
 * and X-Ray, which only the state machine calls (moto runs no execution that traces).
 */
export const NOT_ENFORCED = ["dynamodb", "kms", "events", "lambda", "logs", "states", "xray"];
/** The drill stack's state machine. */
export const DRILL_MACHINE = arn("states", `stateMachine:${PREFIX}trazabilidad-drill`);
/** The native export's state machine, as the traceability stack names it. */
export const NATIVE_MACHINE = arn("states", `stateMachine:${PREFIX}trazabilidad-native-export`);

/** The separate emulator, its admin and the log being recorded into (set by the test). */
export const state = {} as { emulator: RunningEmulator; admin: Credentials; recording?: CallLog };
export const queues: Record<string, { url: string; arn: string }> = {};
/** What the emulator named: the tables (random audit names) and their streams. */
export const made = { trazabilidadStream: "", configurationTable: "", configurationStream: "", auditTable: "" };
/** Every call of every principal while the paths run with the template's policies. */
export const log: CallLog = callLog();
export const WHERE = { region: REGION, account: ACCOUNT };

export function py(request: Record<string, unknown>, credentials: Credentials | null = state.admin) {
  const python = join(projectRoot, ".venv", "bin", "python");
  const run = spawnSync(python, [join(projectRoot, "test", "support", "iam-emulator.py")], {
    input: JSON.stringify({ endpoint: state.emulator.endpoint, credentials, ...request }),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { ok?: Record<string, string> & { bodies?: string[] }; error?: string };
}

export function ok(request: Record<string, unknown>, credentials: Credentials | null = state.admin) {
  const answer = py(request, credentials);
  if (!answer.ok) throw new Error(`${request.op}: ${answer.error}`);
  return answer.ok;
}

export const context = (): ResolveContext => ({
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
    TrazabilidadTableName: `${PREFIX}TRAZABILIDAD`,
  },
  refs: {
    NativeExportStateMachine: NATIVE_MACHINE,
    ExportAlias: arn("lambda", `function:${PREFIX}trazabilidad_export:live`),
    NativeExportAlias: arn("lambda", `function:${PREFIX}trazabilidad_native:live`),
    ArchiveDeadLetterQueue: queues.archive?.url as string,
    DrillStateMachine: DRILL_MACHINE,
  },
  arns: {
    TrazabilidadTable: arn("dynamodb", `table/${PREFIX}TRAZABILIDAD`),
    NativeExportFunction: arn("lambda", `function:${PREFIX}trazabilidad_native`),
    NativeExportLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}trazabilidad_native:*`),
    ConfigurationTable: arn("dynamodb", `table/${made.configurationTable}`),
    AuditTable: arn("dynamodb", `table/${made.auditTable}`),
    ExportDeadLetterQueue: queues.export?.arn as string,
    ArchiveDeadLetterQueue: queues.archive?.arn as string,
    PipeDeadLetterQueue: queues.pipes?.arn as string,
    ClaimCheckFunction: arn("lambda", `function:${PREFIX}archive_claims`),
    ExportFunction: arn("lambda", `function:${PREFIX}trazabilidad_export`),
    StamperFunction: arn("lambda", `function:${PREFIX}trazabilidad_stamper`),
    ArchiveBus: arn("events", `event-bus/${PREFIX}trace-archive`),
    // GetAtt LogGroup.Arn ends in ":*".
    ExportLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}trazabilidad_export:*`),
    StamperLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}trazabilidad_stamper:*`),
    ArchiverLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}archiver:*`),
    AuditProducerLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}audit_producer:*`),
    ClaimCheckLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}archive_claims:*`),
    RedriveLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}archive_redrive:*`),
    DrillFunction: arn("lambda", `function:${PREFIX}trazabilidad_drill`),
    DrillLogGroup: arn("logs", `log-group:/aws/lambda/${PREFIX}trazabilidad_drill:*`),
  },
});

/** Creates (or replaces the policy of) a role and returns credentials of an assumed session. */
export function assumeRole(name: string, policy: PolicyDocument): Credentials {
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
export function clients(credentials: Credentials, principal?: string) {
  const built = createAwsClients({ region: REGION, endpointUrl: state.emulator.endpoint, credentials, maxAttempts: 1 }, more);
  if (state.recording && principal)
    for (const client of [built.s3, built.dynamodb, built.streams]) recordCalls(client, principal, state.recording, WHERE);
  return built;
}

/** A Step Functions client with these credentials; while recording, its calls are logged as `principal`. */
export function sfn(credentials: Credentials, principal?: string) {
  const client = more.createSfnClient({ region: REGION, endpointUrl: state.emulator.endpoint, credentials, maxAttempts: 1 });
  if (state.recording && principal) recordCalls(client, principal, state.recording, WHERE);
  return client;
}

export const logger = new Logger({ serviceName: "iam-test", logLevel: "CRITICAL" });

/** A path: the calls a principal makes, run with the given credentials; throws when any is denied. */
export type Path = (role: Credentials, principal: string) => Promise<void>;

// A send to a KMS-encrypted queue (SQS asks KMS for a data key with the sender's credentials).
export const sendTo =
  (queue: string): Path =>
  async (role, principal) => {
    const queueArn = queues[queue]?.arn as string;
    state.recording?.add({ principal, action: "sqs:SendMessage", resource: queueArn, implied: "dead-letter/on-failure send (driven)" });
    state.recording?.add({ principal, action: "kms:GenerateDataKey", resource: KEY_ARN, implied: "SSE-KMS queue on sqs:SendMessage" });
    state.recording?.add({ principal, action: "kms:Decrypt", resource: KEY_ARN, implied: "SSE-KMS queue on sqs:SendMessage" });
    const answer = py({ op: "send", url: queues[queue]?.url, body: `{"from":"${queue}"}` }, role);
    if (!answer.ok) throw new Error(`SendMessage to ${queue}: ${answer.error}`);
  };

// What a DynamoDB stream source does (the Pipe, and Lambda's event source mapping with the
// function's role): describe the stream, get a shard iterator, read the records.
export const readsStream =
  (stream: () => string): Path =>
  async (_role, principal) => {
    const { records } = await readStream(clients(state.admin, principal).streams, stream());
    expect(Array.isArray(records)).toBe(true);
  };

// The audit producer on a batch with one record that cannot be written (its entry is too large):
// the batch reports it, and the event source mapping keeps the batch whole in the on-failure
// bucket with the function's role: "For an S3 destination: s3:PutObject and s3:ListBucket"
// (services-dynamodb-errors.html). The write is local mode's (the object AWS documents).
export const auditBatch: Path = async (role, principal) => {
  const handle = createAuditProducer({
    dynamodb: clients(state.admin, principal).dynamodb,
    auditTableName: made.auditTable,
    reporter: silentReporter,
  });
  const fine = insertRecord({ key: { S: "A" }, value: { S: "1" } });
  const poison = insertRecord({ key: { S: "BIG" }, value: { S: "x".repeat(404_980) } });
  const response = await handle({ Records: [fine, poison] });
  expect(response.batchItemFailures).toHaveLength(1);
  const s3 = clients(role, principal).s3;
  const functionArn = arn("lambda", `function:${PREFIX}audit_producer:learn`);
  const record = streamInvocationRecord({
    batch: [poison],
    shardId: "shardId-1",
    streamArn: made.configurationStream,
    functionArn,
    invokeCount: 6,
  });
  await s3FailureSink(s3)(BUCKET, s3FailureObjectKey(localMappingUuid(functionArn, made.configurationStream), "shardId-1", new Date()), {
    ...record,
    payload: { Records: [poison] },
  });
  state.recording?.add({
    principal,
    action: "kms:GenerateDataKey",
    resource: KEY_ARN,
    implied: "the bucket's SSE-KMS on Lambda's s3:PutObject",
  });
  await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "aws/lambda/", MaxKeys: 1 }));
};

// A deletion too large for an event, through the pipes' enrichment: the claim check is written.
export const claimWrites: Path = async (role, principal) => {
  const handle = createClaims({ s3: clients(role, principal).s3, bucket: BUCKET, kmsKeyArn: KEY_ARN, reporter: silentReporter });
  const [checked] = await handle([bigRemoveRecord("claimed")]);
  expect(checked?.claim?.key).toMatch(/^archive-claims\//);
};

// The archiver on a claim check: it reads the record back (written here as the enrichment would).
/** The archiver writing to S3 with the role's credentials (DynamoDB, which moto cannot enforce, as the admin). */
const archiverAs = (role: Credentials, principal: string) =>
  createArchiver({
    s3: clients(role, principal).s3,
    dynamodb: clients(state.admin, principal).dynamodb,
    bucket: BUCKET,
    kmsKeyArn: KEY_ARN,
    reporter: silentReporter,
  });

export const archiveClaimed: Path = async (role, principal) => {
  const [stub] = await createClaims({ s3: clients(state.admin).s3, bucket: BUCKET, kmsKeyArn: KEY_ARN, reporter: silentReporter })([
    bigRemoveRecord("claimed-read"),
  ]);
  const handle = archiverAs(role, principal);
  expect(await handle(toPipeBusEvent(stub as never))).toMatchObject({ status: expect.stringMatching(/archived/) });
};

// archive_redrive: the mapping polls the pipes' queue with the function's role, the pointer's
// records are read back from the stream and archived, and an unrecoverable one is parked.
export const redrivePointer: Path = async (role, principal) => {
  const admin = clients(state.admin);
  const id = `redriven-${Date.now()}`;
  await admin.dynamodb.send(
    new PutItemCommand({ TableName: `${PREFIX}TRAZABILIDAD`, Item: { id: { S: id }, fecha: { S: "2026-11-23" } } }),
  );
  await admin.dynamodb.send(new DeleteItemCommand({ TableName: `${PREFIX}TRAZABILIDAD`, Key: { id: { S: id } } }));
  const { shards } = await readStream(admin.streams, made.trazabilidadStream);
  const shard = shards.find((s) => s.records.some((r) => r.eventName === "REMOVE" && r.dynamodb?.Keys?.id?.S === id));
  const removal = shard?.records.find((r) => r.eventName === "REMOVE" && r.dynamodb?.Keys?.id?.S === id);
  const pointer = pipeDeadLetterRecord({
    batch: [removal as never],
    shardId: shard?.shardId as string,
    streamArn: made.trazabilidadStream,
    pipeArn: arn("pipes", `pipe/${PREFIX}archive-trazabilidad`),
  });
  ok({ op: "send", url: queues.pipes?.url, body: JSON.stringify(pointer) });
  const queueArn = queues.pipes?.arn as string;
  for (const action of ["sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:DeleteMessage"])
    state.recording?.add({
      principal,
      action,
      resource: queueArn,
      implied: "the event source mapping polls the queue with the function's role",
    });
  state.recording?.add({ principal, action: "kms:Decrypt", resource: KEY_ARN, implied: "SSE-KMS queue on sqs:ReceiveMessage" });
  // The queue may hold other paths' test messages first: consume until the pointer comes.
  let body: string | undefined;
  for (let i = 0; i < 20 && !body; i++) {
    const consumed = py({ op: "consume", url: queues.pipes?.url }, role);
    if (!consumed.ok) throw new Error(`consuming the pipes' queue: ${consumed.error}`);
    body = consumed.ok.bodies?.find((b) => b.includes(removal?.dynamodb?.SequenceNumber as string));
  }
  if (!body) throw new Error("the pointer never came out of the pipes' queue");
  // Stream reads with admin credentials (moto enforces DynamoDB only against "*"), recorded as
  // this principal for the call check; the archive write with the role's.
  const outcome = await recoverDeadLetter(
    {
      streams: clients(state.admin, principal).streams,
      archiver: {
        s3: clients(role, principal).s3,
        keySchema: keySchemaCache(admin.dynamodb),
        bucket: BUCKET,
        kmsKeyArn: KEY_ARN,
        reporter: silentReporter,
      },
    },
    body,
  );
  if (!outcome.settled) throw new Error(`the pointer was not recovered: ${JSON.stringify(outcome)}`);
  await sendTo("archive")(role, principal);
};

// The day index as the traceability stack declares it (DayIndex: true), added or dropped on the
// table so that one path runs both read paths of the export.
async function setDayIndex(dynamodb: DynamoDBClient, wanted: boolean): Promise<void> {
  const TableName = `${PREFIX}TRAZABILIDAD`;
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName }));
  const present = (Table?.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === "dia-index");
  if (present === wanted) return;
  await dynamodb.send(
    new UpdateTableCommand({
      TableName,
      // With the table's key too: moto replaces the table's attribute definitions with the
      // update's (AWS adds them), and a later restore of a table that lost its key's fails there.
      AttributeDefinitions: wanted
        ? [
            { AttributeName: "id", AttributeType: "S" },
            { AttributeName: "dia", AttributeType: "S" },
          ]
        : undefined,
      GlobalSecondaryIndexUpdates: [
        wanted
          ? {
              Create: {
                IndexName: "dia-index",
                KeySchema: [{ AttributeName: "dia", KeyType: "HASH" }],
                Projection: { ProjectionType: "ALL" },
              },
            }
          : { Delete: { IndexName: "dia-index" } },
      ],
    }),
  );
}

/** Fault injection: the manifest's PutObject fails once with a 500, as S3 may answer. */
function failManifestWriteOnce(s3: S3Client): S3Client {
  let failed = false;
  s3.middlewareStack.add(
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's generic middleware signature
    (next: any, context: any) => async (args: any) => {
      if (!failed && context.commandName === "PutObjectCommand" && String(args.input?.Key).endsWith("/_manifest.json")) {
        failed = true;
        throw Object.assign(new Error("We encountered an internal error. Please try again."), {
          name: "InternalError",
          $metadata: { httpStatusCode: 500 },
        });
      }
      return next(args);
    },
    { step: "initialize", name: "failManifestWriteOnce" },
  );
  return s3;
}

// The export's writes: the scheduled handler on the table without the day index (Scan: CSV and
// manifest), again with the index (Query) and the manifest's write failing, so that the commit
// reads the manifest back and withdraws the CSV version it created (commit.ts); then a multipart
// upload and an aborted one (the export uploads with lib-storage in 8 MiB parts and aborts on failure).
export const exportWrites: Path = async (role, principal) => {
  const adminClients = clients(state.admin, principal);
  const run = (s3: S3Client) =>
    createExport({
      clients: { dynamodb: adminClients.dynamodb, s3 },
      logger,
      config: () =>
        configFromEnv({
          TABLE_NAME: `${PREFIX}TRAZABILIDAD`,
          BUCKET_NAME: BUCKET,
          KMS_KEY_ARN: KEY_ARN,
          TIME_ZONE: "Europe/Madrid",
          SCAN_SEGMENTS: "2",
        }),
      // The clock at the scheduled run: yesterday is within the retention, so it is exported again.
      now: () => Date.parse("2026-11-23T18:00:05Z"),
    })({ scheduledTime: "2026-11-23T18:00:00Z" }, { getRemainingTimeInMillis: () => 900_000 });
  await setDayIndex(clients(state.admin).dynamodb, false);
  await run(clients(role, principal).s3 as S3Client);
  await setDayIndex(clients(state.admin).dynamodb, true);
  const failure = await run(failManifestWriteOnce(clients(role, principal).s3 as S3Client)).then(
    () => new Error("the export succeeded although its manifest write failed"),
    (error: unknown) => error as Error,
  );
  // Anything but the withdrawal (an access denied while reading back or deleting) fails the path.
  if (!/the new CSV was withdrawn/.test(failure.message)) throw failure;
  // A table big for its threshold: the days go to the native export's state machine instead.
  const handOver = await createExport({
    clients: { dynamodb: adminClients.dynamodb, s3: clients(role, principal).s3 as S3Client, sfn: sfn(state.admin, principal) },
    logger,
    config: () =>
      configFromEnv({
        TABLE_NAME: `${PREFIX}TRAZABILIDAD`,
        BUCKET_NAME: BUCKET,
        KMS_KEY_ARN: KEY_ARN,
        TIME_ZONE: "Europe/Madrid",
        NATIVE_STATE_MACHINE_ARN: NATIVE_MACHINE,
        NATIVE_ABOVE_ROWS: "1",
        TABLE_RETENTION_DAYS: "1",
      }),
    now: () => Date.parse("2026-11-23T18:00:05Z"),
  })({ scheduledTime: "2026-11-23T18:00:00Z" }, { getRemainingTimeInMillis: () => 900_000 });
  expect(handOver.engine).toBe("native");
  // With the stamper's ledger fresh (the StamperRole's path ran first), the export reads it (a
  // listing of its key, then the object) and queries the day index.
  const viaIndex = await run(clients(role, principal).s3 as S3Client);
  if (!("days" in viaIndex) || viaIndex.days.some((d) => d.readPath !== "query"))
    throw new Error(`the export did not trust the index: ${JSON.stringify(viaIndex.days.map((d) => d.readPathReason))}`);
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

/** A TRAZABILIDAD deletion whose entry is over the claim check's 64 KiB. */
const bigRemoveRecord = (id: string) => ({
  ...removeRecord({ id: { S: id }, fecha: { S: "2026-11-23" }, notas: { S: "x".repeat(70_000) } }, { key: id }),
  eventSourceARN: made.trazabilidadStream,
  dynamodb: {
    ...removeRecord({ id: { S: id }, fecha: { S: "2026-11-23" }, notas: { S: "x".repeat(70_000) } }).dynamodb,
    Keys: { id: { S: id } },
  },
});

// The archiver's writes: a REMOVE event as the Pipe delivers it (hash-key table: no DescribeTable).
export const archiveWrites: Path = async (role, principal) => {
  const handle = archiverAs(role, principal);
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

let nativeRuns = 0;

// The native export's worker, task by task as its state machine runs it, on the table with PITR:
// start (DynamoDB's export, written by the emulator), poll, list the files, the three map phases,
// the header and the assembly with its commit. With `failManifest`, the manifest's write fails
// once and the commit withdraws the CSV version it created (s3:DeleteObjectVersion).
const nativeRun =
  (day: string, failManifest: boolean): Path =>
  async (role, principal) => {
    const admin = clients(state.admin, principal);
    const s3 = clients(role, principal).s3 as S3Client;
    const handle = createNative({
      clients: { dynamodb: admin.dynamodb, s3: failManifest ? failManifestWriteOnce(s3) : s3 },
      logger,
      config: () =>
        nativeConfigFromEnv({ TABLE_NAME: `${PREFIX}TRAZABILIDAD`, BUCKET_NAME: BUCKET, KMS_KEY_ARN: KEY_ARN, TIME_ZONE: "Europe/Madrid" }),
    });
    const job = (await handle({ action: "start", day, runId: `iam-${++nativeRuns}` })) as NativeJob;
    while (((await handle({ action: "poll", job })) as ExportState).status !== "COMPLETED") await sleep(50);
    const list = (await handle({ action: "files", job })) as { key: string };
    const listed = await clients(state.admin).s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: list.key }));
    const files = JSON.parse((await listed.Body?.transformToString()) ?? "[]") as FileRef[];
    expect(files.length).toBeGreaterThan(0);
    await handle({ Items: files, BatchInput: { action: "columns", job } });
    const ranges = (await handle({ action: "header", job })) as { key: string };
    await handle({ Items: files, BatchInput: { action: "part", job } });
    const listedRanges = await clients(state.admin).s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: ranges.key }));
    for (const range of JSON.parse((await listedRanges.Body?.transformToString()) ?? "[]") as RangeRef[])
      await handle({ Items: [range], BatchInput: { action: "merge", job } });
    const assembled = handle({ action: "assemble", job });
    if (!failManifest) return void (await assembled);
    const failure = await assembled.then(
      () => new Error("the native export succeeded although its manifest write failed"),
      (error: unknown) => error as Error,
    );
    if (!/the new CSV was withdrawn/.test(failure.message)) throw failure;
  };

// The assembly failing on a part that is not there: it aborts its multipart upload under exports/.
const nativeAssemblyAborts: Path = async (role, principal) => {
  const failure = await assembleObject({
    s3: clients(role, principal).s3 as S3Client,
    bucket: BUCKET,
    kmsKeyId: KEY_ARN,
    key: `exports/${PREFIX}TRAZABILIDAD/dt=2026-11-21/${PREFIX}TRAZABILIDAD_2026-11-21.csv`,
    header: "id\r\n",
    parts: [{ key: "native/missing/parts/0000000.csv", bytes: 6 * 1024 * 1024 }],
  }).then(
    () => new Error("the assembly of a missing part succeeded"),
    (error: unknown) => error as Error,
  );
  if (/denied|403/i.test(`${failure.name} ${failure.message}`)) throw failure;
  const left = await clients(state.admin).s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: "exports/" }));
  expect(left.Uploads ?? []).toEqual([]);
};

// What the Distributed Maps do with the state machine's role: read the file list (ItemReader)
// and write their results beside the run (ResultWriter), which AWS lists with the multipart
// actions it uses for large result files (ListMultipartUploadParts, AbortMultipartUpload).
const mapItemsAndResults: Path = async (role, principal) => {
  const key = "native/it-TRAZABILIDAD/dt=2026-11-23/map/files.json";
  await clients(state.admin).s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "[]" }));
  const s3 = clients(role, principal).s3 as S3Client;
  await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "native/it-TRAZABILIDAD/dt=2026-11-23/map/0f1e/manifest.json", Body: "{}" }));
  const Key = "native/it-TRAZABILIDAD/dt=2026-11-23/map/0f1e/SUCCEEDED_0.json";
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
  await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: "[]" }));
  await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key, UploadId }));
  await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId }));
};

// The day stamper: reads the table's stream, stamps dia, sweeps, keeps its ledger under index/;
// an item too large to take dia is kept under index/<table>/failed/ and retried by the next run
// (GetItem), which clears it once the item is gone.
const stamperRun: Path = async (role, principal) => {
  const admin = clients(state.admin, principal);
  const stamper = { dynamodb: admin.dynamodb, streams: admin.streams, s3: clients(role, principal).s3 as S3Client };
  const config = { table: `${PREFIX}TRAZABILIDAD`, bucket: BUCKET, kmsKeyId: KEY_ARN, timeZone: "Europe/Madrid", retentionDays: 7 };
  // 5 bytes under moto's 405,000-byte item limit: the 13 bytes of dia do not fit (test/integration/export/stamper.test.ts).
  const big = { id: { S: "big" }, fecha: { S: "2026-11-10T10:00:00Z" }, carga: { S: "" } };
  big.carga.S = "x".repeat(405_000 - 5 - 2 - 3 - 5 - 20 - 5);
  await clients(state.admin).dynamodb.send(new PutItemCommand({ TableName: config.table, Item: big }));
  const first = await runStamper(stamper, config, { reporter: silentReporter });
  expect(first).toMatchObject({ failed: 1, sweep: { finished: true } });
  await clients(state.admin).dynamodb.send(new DeleteItemCommand({ TableName: config.table, Key: { id: big.id } }));
  const second = await runStamper(stamper, config, { reporter: silentReporter });
  expect(second.failures).toBe(0);
  // Reading the SSE-KMS ledger back, S3 decrypts it with the caller's permissions ("Protecting data with SSE-KMS").
  state.recording?.add({ principal, action: "kms:Decrypt", resource: KEY_ARN, implied: "SSE-KMS object read (the ledger, s3:GetObject)" });
};

// The drill's worker (lambda/drill.ts), task by task as the drill stack's state machine runs it,
// on TRAZABILIDAD with PITR and the days exported by the paths before: a rehearsal that passes
// (prepare: the source read, the last exported day found by listing each day's manifest key and
// read, the work objects written under drill/, the restore started; poll; verify: the scratch
// table compared and the day re-exported from it, the report written, the scratch table and the
// work objects deleted), one of a damaged restore (an item changed in the scratch table: verify
// reads both images of it and fails the rehearsal), and one cleaned up after an error.
const drillRun: Path = async (role, principal) => {
  const admin = clients(state.admin);
  const table = `${PREFIX}TRAZABILIDAD`;
  const handle = createDrill({
    clients: { dynamodb: clients(state.admin, principal).dynamodb, s3: clients(role, principal).s3 },
    logger,
    // The days exported by the paths before are in November 2026: far enough back whatever today is.
    config: () => ({ table, bucket: BUCKET, kmsKeyArn: KEY_ARN, timeZone: "Europe/Madrid", retentionDays: 3650, slackMs: 0, segments: 1 }),
    region: REGION,
  });
  const scratches = async () =>
    ((await admin.dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).filter((t) => t.startsWith(`${table}-drill-`));
  const restored = async (run: string) => {
    const prepared = (await handle({ step: "prepare", run })) as PreparedDrill;
    expect(prepared.manifest?.date, "the drill found no exported day").toMatch(/^2026-11-2\d$/);
    // DynamoDB creates a grant on the source's key for the restored table (KMS Developer Guide,
    // "How Amazon DynamoDB uses AWS KMS"), and reads the SSE-KMS manifest and work objects with
    // the caller's permissions ("Protecting data with SSE-KMS").
    state.recording?.add({
      principal,
      action: "kms:CreateGrant",
      resource: KEY_ARN,
      implied: "the restored table is encrypted with the source's key",
      context: { "kms:GrantIsForAWSResource": "true" },
    });
    state.recording?.add({ principal, action: "kms:Decrypt", resource: KEY_ARN, implied: "SSE-KMS object read (s3:GetObject)" });
    const polled = (await handle({ step: "poll", drill: prepared })) as { active: boolean; activeAt: number };
    expect(polled.active).toBe(true);
    return { prepared, activeAt: polled.activeAt };
  };
  try {
    const ok = await restored(`iam-drill-ok-${Date.now()}`);
    const verdict = (await handle({ step: "verify", drill: ok.prepared, activeAt: ok.activeAt })) as { passed: boolean; summary: string };
    expect(verdict.summary).toBe("every check passed");
    await sleep(1_000); // the scratch table's name is to the second
    const damaged = await restored(`iam-drill-damaged-${Date.now()}`);
    // n-23, a record of the exported day (beforeAll): the day's re-export differs too.
    await admin.dynamodb.send(
      new UpdateItemCommand({
        TableName: damaged.prepared.scratch,
        Key: { id: { S: "n-23" } },
        UpdateExpression: "SET estado = :e",
        ExpressionAttributeValues: { ":e": { S: "DAMAGED" } },
      }),
    );
    const failed = (await handle({ step: "verify", drill: damaged.prepared, activeAt: damaged.activeAt })) as {
      passed: boolean;
      summary: string;
    };
    expect(failed).toMatchObject({ passed: false, summary: expect.stringContaining('{"id":"n-23"} (estado)') });
    await sleep(1_000);
    const broken = (await handle({ step: "prepare", run: `iam-drill-broken-${Date.now()}` })) as PreparedDrill;
    expect(await handle({ step: "cleanup", drill: broken })).toEqual({ cleaned: true });
    expect(await scratches()).toEqual([]);
  } finally {
    // A run denied half-way leaves its scratch table: the next run must not meet it.
    for (const scratch of await scratches()) await admin.dynamodb.send(new DeleteTableCommand({ TableName: scratch }));
  }
};

export interface RoleCase {
  stack: StackId;
  role: string;
  /** Every path this principal runs. */
  paths: Path[];
}

export const ROLES: RoleCase[] = [
  // First: the export's path needs the ledger it writes.
  { stack: "traceability", role: "StamperRole", paths: [stamperRun] },
  { stack: "traceability", role: "StamperSchedulerRole", paths: [sendTo("export")] },
  { stack: "traceability", role: "ExportRole", paths: [exportWrites, sendTo("export")] },
  { stack: "traceability", role: "SchedulerRole", paths: [sendTo("export")] },
  {
    stack: "traceability",
    role: "NativeExportRole",
    paths: [nativeRun("2026-11-23", false), nativeRun("2026-11-22", true), nativeAssemblyAborts],
  },
  { stack: "traceability", role: "NativeExportStateMachineRole", paths: [mapItemsAndResults] },
  { stack: "audit", role: "AuditProducerRole", paths: [readsStream(() => made.configurationStream), auditBatch] },
  { stack: "archive", role: "ArchiverRole", paths: [archiveWrites, archiveClaimed, sendTo("archive")] },
  { stack: "archive", role: "PipeRole", paths: [readsStream(() => made.trazabilidadStream), sendTo("pipes")] },
  { stack: "archive", role: "ClaimCheckRole", paths: [claimWrites] },
  { stack: "archive", role: "RedriveRole", paths: [redrivePointer] },
  // Last: the drill rehearses the table and the days the paths before have exported.
  { stack: "drill", role: "DrillRole", paths: [drillRun] },
  // Roles whose every statement is for a service moto enforces only against "*" (Lambda, KMS, X-Ray,
  // CloudWatch Logs, Step Functions) and whose calls no code of ours makes (the state machine's
  // invocations, the schedule's StartExecution): their calls are modelled (calls.ts) and checked.
  { stack: "drill", role: "DrillStateMachineRole", paths: [] },
  { stack: "drill", role: "DrillSchedulerRole", paths: [] },
];

export const enforced = (statement: PolicyDocument["Statement"][number]) =>
  [statement.Action].flat().some((action) => !NOT_ENFORCED.includes(action.split(":")[0] as string));
