// Shared setup for the archive's integration tests: a versioned data bucket and a KMS key in the
// emulator, the archiver fed exactly as the deployed path feeds it, and the CLI with its flags.
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { createHandler } from "../../../lambda/archiver";
import { matchesRemovePattern, toPipeBusEvent } from "../../../src/core/archive/pipe-event";
import type { ArchiveOutcome } from "../../../src/core/archive/writer";
import type { AwsClients } from "../../../src/core/aws/clients";
import { mapLimit } from "../../../src/core/concurrency";
import { silentReporter } from "../../../src/core/reporter";
import { readStream, type StreamCheckpoint } from "../../../src/local/streams";
import { runCli } from "../../support/cli";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";

/** A versioned data bucket, as the base stack makes it (the archive keeps every version). */
export async function createVersionedBucket(clients: AwsClients): Promise<string> {
  const bucket = uniqueName("archive-data").toLowerCase();
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await clients.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return bucket;
}

export interface Archiver {
  bucket: string;
  kmsKeyArn: string;
  handle: (event: unknown) => Promise<ArchiveOutcome>;
}

export function archiver(clients: AwsClients, bucket: string, kmsKeyArn: string): Archiver {
  return {
    bucket,
    kmsKeyArn,
    handle: createHandler({ s3: clients.s3, dynamodb: clients.dynamodb, bucket, kmsKeyArn, reporter: silentReporter }),
  };
}

/**
 * Reads the emulator's real stream, wraps each record as the Pipe and the bus deliver it, keeps
 * what the REMOVE rule matches, and runs the archiver on each (bounded concurrency).
 */
export async function archiveStream(
  clients: AwsClients,
  target: Archiver,
  streamArn: string,
  checkpoint: StreamCheckpoint = {},
  transform: (record: DynamoDBRecord) => DynamoDBRecord = (r) => r,
) {
  const read = await readStream(clients.streams, streamArn, checkpoint);
  const events = read.records.map((r) => toPipeBusEvent(transform(r))).filter(matchesRemovePattern);
  const outcomes = await mapLimit(events, 16, (event) => target.handle(event));
  return { ...read, events, outcomes };
}

export { createKmsKey, createStreamTable } from "../../support/fixtures";

export function cli(target: Archiver, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) {
  return runCli(["archive", ...args, "--endpoint-url", emulatorEndpoint(), "--bucket", target.bucket, "--kms-key", target.kmsKeyArn], {
    env: { ...emulatorEnv(), ...extraEnv },
  });
}

/** Sets have no order in DynamoDB: compare them sorted, everything else as is. */
export function normalize(item: Record<string, AttributeValue> | undefined): unknown {
  const value = (v: AttributeValue): unknown => {
    if (v.SS) return { SS: [...v.SS].sort() };
    if (v.NS) return { NS: [...v.NS].sort() };
    if (v.BS) return { BS: v.BS.map((b) => Buffer.from(b).toString("hex")).sort() };
    if (v.B) return { B: Buffer.from(v.B).toString("hex") };
    if (v.L) return { L: v.L.map(value) };
    if (v.M) return { M: normalize(v.M) };
    return v;
  };
  return item && Object.fromEntries(Object.entries(item).map(([k, v]) => [k, value(v)]));
}
