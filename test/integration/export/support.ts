// Shared by the export integration tests: a TRAZABILIDAD-shaped table, a versioned bucket, a
// config file naming the business zone, and readers for what lands in S3.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AttributeValue, BatchWriteItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand } from "@aws-sdk/client-s3";
import { inject } from "vitest";
import type { AwsClients } from "../../../src/core/aws/clients";
import { uniqueName } from "../../support/emulator";
import { createStreamTable, stringKey } from "../../support/fixtures";

/**
 * A real key in the emulator (made by test/setup/emulator.ts): moto would accept any ARN-shaped id for
 * SSE-KMS, but `export --kms-key` checks the key with DescribeKey before it reads, as AWS would refuse it.
 */
export const TEST_KEY_ARN = inject("testKeyArn");

export type Item = Record<string, AttributeValue>;

export async function createTable(clients: AwsClients, base = "TRAZABILIDAD"): Promise<string> {
  const table = uniqueName(base);
  // TRAZABILIDAD as the stack makes it (key `id`, stream on).
  await createStreamTable(clients.dynamodb, { TableName: table, ...stringKey("id") });
  return table;
}

export async function createVersionedBucket(clients: AwsClients): Promise<string> {
  const bucket = uniqueName("export").toLowerCase();
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await clients.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  return bucket;
}

export async function putItems(clients: AwsClients, table: string, items: readonly Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    let request: Record<string, typeof batch> | undefined = { [table]: batch };
    while (request && Object.keys(request).length) {
      const out = await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: request }));
      request = out.UnprocessedItems as typeof request;
    }
  }
}

export async function readText(clients: AwsClients, bucket: string, key: string): Promise<string> {
  const out = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString("utf-8")) ?? "";
}

export async function readBytes(clients: AwsClients, bucket: string, key: string): Promise<Buffer> {
  const out = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
}

/**
 * A config file with one environment in `timeZone`; returns its path. `retentionDays` defaults to
 * the most the config allows (365), so that the tests' fixed days (November 2026) stay within the
 * table's retention and may be re-exported (docs/export.md, "Re-exports"; the rule's own test,
 * reexport.test.ts, sets it low).
 */
export function configFile(timeZone: string, exportSegments = 3, retentionDays = 365): string {
  const dir = mkdtempSync(join(tmpdir(), "trace-export-config-"));
  const path = join(dir, "trace.config.yaml");
  writeFileSync(
    path,
    `environments:\n  test:\n    stage: test\n    region: us-east-1\n    timeZone: ${timeZone}\n    exportSegments: ${exportSegments}\n    retentionDays: ${retentionDays}\n`,
  );
  return path;
}

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: string | number): AttributeValue => ({ N: String(value) });
