// The native export's worker driven task by task, as its state machine would drive it (moto's Step
// Functions runs no Lambda task). Shared by row-order.test.ts and native-merge-sockets.test.ts.
import { gunzipSync, gzipSync } from "node:zlib";
import { Logger } from "@aws-lambda-powertools/logger";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import { createHandler as createNative, configFromEnv as nativeConfigFromEnv } from "../../../lambda/export-native";
import type { ExportState, FileRef, NativeJob } from "../../../src/core/export/native/job";
import { sleep } from "../../../src/core/sleep";
import type { emulatorClients } from "../../support/emulator";
import { readBytes, readText, TEST_KEY_ARN } from "./support";

type Clients = ReturnType<typeof emulatorClients>;
export type NativeWorker = ReturnType<typeof createNative>;

/** The worker over `table`, writing to `bucket`, with the business zone `zone`. */
export function nativeWorker(clients: Clients, where: { table: string; bucket: string; zone: string }): NativeWorker {
  return createNative({
    clients: { dynamodb: clients.dynamodb, s3: clients.s3 },
    logger: new Logger({ serviceName: "native-test", logLevel: "CRITICAL" }),
    config: () =>
      nativeConfigFromEnv({ TABLE_NAME: where.table, BUCKET_NAME: where.bucket, KMS_KEY_ARN: TEST_KEY_ARN, TIME_ZONE: where.zone }),
  });
}

/** Starts the day's DynamoDB export and waits for it. */
export async function startExport(handle: NativeWorker, day: string, runId: string): Promise<NativeJob> {
  const job = (await handle({ action: "start", day, runId })) as NativeJob;
  while (((await handle({ action: "poll", job })) as ExportState).status !== "COMPLETED") await sleep(50);
  return job;
}

/**
 * moto writes one data file where DynamoDB writes several: its lines dealt round-robin into `count`
 * files (the one removed). Returns the job's files as the worker lists them.
 */
export async function dealDataFile(clients: Clients, bucket: string, handle: NativeWorker, job: NativeJob, count: number) {
  const files = async () =>
    JSON.parse(await readText(clients, bucket, ((await handle({ action: "files", job })) as { key: string }).key)) as FileRef[];
  const one = await files();
  expect(one).toHaveLength(1);
  const source = one[0] as FileRef;
  const lines = gunzipSync(await readBytes(clients, bucket, source.key))
    .toString("utf8")
    .split("\n")
    .filter(Boolean);
  for (let f = 0; f < count; f++) {
    const body = gzipSync(`${lines.filter((_, i) => i % count === f).join("\n")}\n`);
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: source.key.replace(/\.gz$/, `-${f}.gz`), Body: body }));
  }
  await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: source.key }));
  const dealt = await files();
  expect(dealt).toHaveLength(count);
  return dealt;
}
