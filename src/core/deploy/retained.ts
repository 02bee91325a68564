/**
 * Destroy, then deploy: `trace destroy` retains the tables, the buckets and the key
 * (DeletionPolicy Retain), so a later deploy would otherwise create a new, empty bucket and key and
 * fail on the tables' names, leaving the archive and the exports in a bucket nothing names. Before
 * a stack is created, this finds the retained resources of its template that exist (by their
 * fixed names; the key through the retained bucket's default encryption) so deploy can import
 * them into the new stack (a CloudFormation IMPORT change set, "Import AWS resources into a
 * CloudFormation stack"), and forecast can say so first.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetBucketEncryptionCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { toTraceError } from "../errors";
import { type EvaluationContext, evaluate, type Json, resourceIncluded, type TemplateDocument } from "./template-values";
import { errorName, httpStatus } from "./unavailable";

/** A retained resource found outside any stack, and how CloudFormation identifies it for an import. */
export interface RetainedResource {
  logicalId: string;
  type: string;
  /** The resource identifier of an IMPORT change set (the type's primaryIdentifier). */
  identifier: Record<string, string>;
  /** What it is, for messages. */
  describe: string;
}

export interface RetainedClients {
  dynamodb: Pick<DynamoDBClient, "send">;
  s3: Pick<S3Client, "send">;
}

type Resource = NonNullable<NonNullable<TemplateDocument["Resources"]>[string]>;

async function tableExists(clients: RetainedClients, name: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }), { abortSignal: signal });
    return true;
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") return false;
    throw toTraceError(error, `table ${name}`);
  }
}

async function bucketExists(clients: RetainedClients, name: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: name }), { abortSignal: signal });
    return true;
  } catch (error) {
    // 404: no such bucket; 403: another account's (bucket names are global), nothing to import.
    if ([403, 404].includes(httpStatus(error) ?? 0) || errorName(error) === "NotFound" || errorName(error) === "NoSuchBucket") return false;
    throw toTraceError(error, `bucket ${name}`);
  }
}

/** The key logical id a bucket's default encryption names (`!GetAtt Key.Arn`), if it is a key of the template. */
function bucketKeyId(document: TemplateDocument, bucket: Resource): string | undefined {
  const rules = (bucket.Properties?.BucketEncryption as { ServerSideEncryptionConfiguration?: Json[] } | undefined)
    ?.ServerSideEncryptionConfiguration;
  for (const rule of rules ?? []) {
    const ref = (rule as { ServerSideEncryptionByDefault?: { KMSMasterKeyID?: { "Fn::GetAtt"?: string[] } } }).ServerSideEncryptionByDefault
      ?.KMSMasterKeyID?.["Fn::GetAtt"]?.[0];
    if (ref && document.Resources?.[ref]?.Type === "AWS::KMS::Key") return ref;
  }
  return undefined;
}

/** The retained bucket's key (its default encryption's key ARN), as an importable resource. */
async function retainedKey(
  clients: RetainedClients,
  keyId: string,
  bucket: string,
  signal?: AbortSignal,
): Promise<RetainedResource | undefined> {
  const { ServerSideEncryptionConfiguration } = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }), {
    abortSignal: signal,
  });
  const arn = ServerSideEncryptionConfiguration?.Rules?.find((r) => r.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID)
    ?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
  if (!arn) return undefined;
  return {
    logicalId: keyId,
    type: "AWS::KMS::Key",
    identifier: { KeyId: arn.split("/").pop() ?? arn },
    describe: `key ${arn} (the default encryption of bucket ${bucket})`,
  };
}

/**
 * The template's retained resources that exist though the stack does not: tables and buckets by
 * their names, the key through the bucket. Call it only for a stack that is not deployed.
 */
export async function findRetained(
  clients: RetainedClients,
  document: TemplateDocument,
  evaluation: EvaluationContext,
  signal?: AbortSignal,
): Promise<RetainedResource[]> {
  const found: RetainedResource[] = [];
  for (const [logicalId, r] of Object.entries(document.Resources ?? {})) {
    if (r?.DeletionPolicy !== "Retain" || !resourceIncluded(document, logicalId, evaluation)) continue;
    const nameOf = (property: string) => {
      const value = r.Properties?.[property] === undefined ? undefined : evaluate(document, r.Properties[property] as Json, evaluation);
      return typeof value === "string" ? value : undefined;
    };
    if (r.Type === "AWS::DynamoDB::Table") {
      const name = nameOf("TableName");
      if (name && (await tableExists(clients, name, signal)))
        found.push({ logicalId, type: r.Type, identifier: { TableName: name }, describe: `table ${name}` });
    }
    if (r.Type === "AWS::S3::Bucket") {
      const name = nameOf("BucketName");
      if (!name || !(await bucketExists(clients, name, signal))) continue;
      found.push({ logicalId, type: r.Type, identifier: { BucketName: name }, describe: `bucket ${name}` });
      const keyId = bucketKeyId(document, r);
      const key = keyId ? await retainedKey(clients, keyId, name, signal) : undefined;
      if (key) found.push(key);
    }
  }
  return found;
}

/**
 * The template an IMPORT change set takes: the same parameters and conditions, and only the
 * resources being imported (an import creates nothing else; the update after it adds the rest).
 */
export function importTemplate(document: TemplateDocument, retained: readonly RetainedResource[]): string {
  const raw = document as TemplateDocument & { AWSTemplateFormatVersion?: string; Mappings?: Json };
  return JSON.stringify({
    AWSTemplateFormatVersion: raw.AWSTemplateFormatVersion ?? "2010-09-09",
    Description: "trace: the retained resources of a destroyed stack, imported before the stack is completed",
    ...(raw.Parameters ? { Parameters: raw.Parameters } : {}),
    ...(raw.Mappings ? { Mappings: raw.Mappings } : {}),
    ...(raw.Conditions ? { Conditions: raw.Conditions } : {}),
    Resources: Object.fromEntries(retained.map((r) => [r.logicalId, document.Resources?.[r.logicalId]])),
  });
}
