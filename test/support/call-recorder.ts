// Tests only: an SDK middleware that records, for every call a client sends, who made it (the
// principal the test runs it as), the IAM action and the resource ARN, plus the KMS operations
// the call implies on the caller's behalf (S3 SSE-KMS writes, sends to an encrypted queue).
// The IAM-enforced test checks every record against the role's policy and the key policy.

/** One call: `principal` is a role logical id (ExportRole, ...) or a service (events, logs, ...). */
export interface RecordedCall {
  principal: string;
  action: string;
  resource: string;
  /** Why it happens when it is not the handler's own SDK call (e.g. "SSE-KMS on s3:PutObject"). */
  implied?: string;
  /** Request context for the key policy's conditions. */
  context?: Record<string, string>;
}

export interface CallLog {
  calls: RecordedCall[];
  add(call: RecordedCall): void;
}

export function callLog(): CallLog {
  const calls: RecordedCall[] = [];
  return {
    calls,
    add(call) {
      if (!calls.some((c) => c.principal === call.principal && c.action === call.action && c.resource === call.resource)) calls.push(call);
    },
  };
}

export interface Where {
  region: string;
  account: string;
}

// The IAM action each S3 operation is authorized as (AWS's S3 actions reference).
const S3_ACTIONS: Record<string, string> = {
  PutObject: "s3:PutObject",
  CreateMultipartUpload: "s3:PutObject",
  UploadPart: "s3:PutObject",
  CompleteMultipartUpload: "s3:PutObject",
  AbortMultipartUpload: "s3:AbortMultipartUpload",
  ListParts: "s3:ListMultipartUploadParts",
  GetObject: "s3:GetObject",
  HeadObject: "s3:GetObject",
  HeadBucket: "s3:ListBucket",
  ListObjectsV2: "s3:ListBucket",
  ListMultipartUploads: "s3:ListBucketMultipartUploads",
};

/**
 * moto names an export `…:table/<the table's ARN>/import/<id>`; DynamoDB names it
 * `<the table's ARN>/export/<id>`, and IAM authorizes DescribeExport against that.
 */
function exportArn(arn: string): string {
  const moto = /^arn:[^:]+:dynamodb:[^:]+:[^:]+:table\/(arn:[^:]+:dynamodb:[^:]+:[^:]+:table\/[^/]+)\/import\/([^/]+)$/.exec(arn);
  return moto ? `${moto[1]}/export/${moto[2]}` : arn;
}

// What a restore needs on its target table (the example policy of "Using IAM with DynamoDB backup and restore").
const RESTORE_TARGET_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:BatchWriteItem",
];

// DynamoDB Streams operations are authorized as dynamodb:* actions on the stream ARN.
const tableArn = (where: Where, table: string) =>
  table.startsWith("arn:") ? table : `arn:aws:dynamodb:${where.region}:${where.account}:table/${table}`;

/** The (action, resource) pairs one SDK call is authorized as, with the KMS calls it implies. */
export function describeCall(
  clientName: string,
  commandName: string,
  // biome-ignore lint/suspicious/noExplicitAny: any command's input
  input: any,
  where: Where,
  lastStreamArn?: string,
): RecordedCall[] {
  const operation = commandName.replace(/Command$/, "");
  const principal = "";
  if (clientName === "S3Client") {
    const object = (key: string) => `arn:aws:s3:::${input.Bucket}/${key}`;
    // UploadPartCopy writes the destination and reads the source (S3: "UploadPartCopy", permissions).
    if (operation === "UploadPartCopy") {
      const source = decodeURIComponent(String(input.CopySource));
      return [
        { principal, action: "s3:PutObject", resource: object(input.Key) },
        { principal, action: "s3:GetObject", resource: `arn:aws:s3:::${source}` },
      ];
    }
    if (operation === "DeleteObjects")
      return (input.Delete.Objects as { Key: string }[]).map((o) => ({ principal, action: "s3:DeleteObject", resource: object(o.Key) }));
    // A listing is authorized on the bucket, with its prefix as the condition key s3:prefix.
    if (operation === "ListObjectsV2")
      return [
        { principal, action: "s3:ListBucket", resource: `arn:aws:s3:::${input.Bucket}`, context: { "s3:prefix": input.Prefix ?? "" } },
      ];
    // DeleteObject and GetObject of a given version are authorized as their own actions.
    const versioned: Record<string, string> = { DeleteObject: "s3:DeleteObjectVersion", GetObject: "s3:GetObjectVersion" };
    const action =
      operation === "DeleteObject"
        ? input.VersionId
          ? "s3:DeleteObjectVersion"
          : "s3:DeleteObject"
        : input.VersionId && versioned[operation]
          ? versioned[operation]
          : S3_ACTIONS[operation];
    if (!action) throw new Error(`no IAM action known for s3 ${operation}: add it to S3_ACTIONS`);
    const resource = `arn:aws:s3:::${input.Bucket}${input.Key ? `/${input.Key}` : ""}`;
    const calls: RecordedCall[] = [{ principal, action, resource }];
    const key = input.SSEKMSKeyId as string | undefined;
    // SSE-KMS: S3 asks KMS for a data key with the caller's credentials on a write, and for the
    // parts of a multipart upload also decrypts it (AWS: "Protecting data with SSE-KMS").
    if (key && (operation === "PutObject" || operation === "CreateMultipartUpload"))
      calls.push({ principal, action: "kms:GenerateDataKey", resource: key, implied: `SSE-KMS on s3:${operation}` });
    if (key && operation === "CreateMultipartUpload")
      calls.push({ principal, action: "kms:Decrypt", resource: key, implied: "SSE-KMS multipart upload parts" });
    return calls;
  }
  if (clientName === "DynamoDBClient") {
    if (operation === "DescribeExport") return [{ principal, action: "dynamodb:DescribeExport", resource: exportArn(input.ExportArn) }];
    // A point-in-time restore is authorized on the source table, and DynamoDB writes the target
    // table with the caller's read and write permissions ("Using IAM with DynamoDB backup and
    // restore", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/backuprestore_IAM.html).
    if (operation === "RestoreTableToPointInTime")
      return [
        {
          principal,
          action: "dynamodb:RestoreTableToPointInTime",
          resource: tableArn(where, input.SourceTableArn ?? input.SourceTableName),
        },
        ...RESTORE_TARGET_ACTIONS.map((action) => ({
          principal,
          action,
          resource: tableArn(where, input.TargetTableName),
          implied: "the restore reads and writes its target table with the caller's permissions",
        })),
      ];
    const tables: string[] = input.TableName
      ? [input.TableName]
      : input.TableArn
        ? [input.TableArn]
        : Object.keys(input.RequestItems ?? {});
    // A query or scan of an index is authorized against the index's ARN, table/<name>/index/<index>.
    const index = input.IndexName ? `/index/${input.IndexName}` : "";
    return tables.map((table) => ({ principal, action: `dynamodb:${operation}`, resource: `${tableArn(where, table)}${index}` }));
  }
  if (clientName === "DynamoDBStreamsClient") {
    const stream = (input.StreamArn as string | undefined) ?? lastStreamArn;
    const resource = operation === "ListStreams" ? `${tableArn(where, input.TableName ?? "*")}/stream/*` : (stream ?? "unknown-stream");
    return [{ principal, action: `dynamodb:${operation}`, resource }];
  }
  if (clientName === "SFNClient" && operation === "StartExecution")
    return [{ principal, action: "states:StartExecution", resource: input.stateMachineArn }];
  throw new Error(`the call recorder does not know ${clientName} ${operation}: teach describeCall its resources`);
}

interface MiddlewareClient {
  middlewareStack: {
    add: (
      // biome-ignore lint/suspicious/noExplicitAny: the SDK's generic middleware signature
      middleware: (next: any, context: any) => (args: any) => Promise<any>,
      options: { step: "initialize"; name: string; override?: boolean },
    ) => void;
  };
}

/** Adds the recording middleware to a client: every call it sends is logged as `principal`. */
export function recordCalls<T extends MiddlewareClient>(client: T, principal: string, log: CallLog, where: Where): T {
  let lastStreamArn: string | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (args.input?.StreamArn) lastStreamArn = args.input.StreamArn;
      for (const call of describeCall(context.clientName, context.commandName, args.input, where, lastStreamArn))
        log.add({ ...call, principal });
      return next(args);
    },
    { step: "initialize", name: "traceCallRecorder", override: true },
  );
  return client;
}
