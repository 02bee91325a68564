/**
 * The one place AWS clients are built. Everything else receives clients (or this factory)
 * as parameters, so the same core runs in the CLI, in a Lambda and against the emulator.
 */
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface AwsSettings {
  region: string;
  /** Named profile from ~/.aws; absent means the default provider chain. */
  profile?: string | undefined;
  /** A custom endpoint (the emulator, a VPC endpoint); absent means real AWS. */
  endpointUrl?: string | undefined;
  /** Static credentials, used for the local emulator only. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** Attempts per request, including the first (adaptive retry mode). */
  maxAttempts?: number;
}

export interface AwsClients {
  readonly settings: AwsSettings;
  readonly dynamodb: DynamoDBClient;
  /** Document client over `dynamodb`: numbers are wrapped, never rounded. */
  readonly documents: DynamoDBDocumentClient;
  readonly streams: DynamoDBStreamsClient;
  readonly s3: S3Client;
  readonly cloudformation: CloudFormationClient;
  readonly sts: STSClient;
  /** Closes the sockets of every client built so far. */
  destroy(): void;
}

/** Credentials the emulator accepts; never used against real AWS. */
export const EMULATOR_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

function commonConfig(settings: AwsSettings) {
  return {
    region: settings.region,
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    retryMode: "adaptive",
    maxAttempts: settings.maxAttempts ?? 8,
  } as const;
}

/**
 * Builds clients lazily (a command pays only for the clients it touches) and memoises them,
 * so a Lambda that calls this at module scope reuses connections across warm invocations.
 */
export function createAwsClients(settings: AwsSettings): AwsClients {
  const base = commonConfig(settings);
  const cache = new Map<string, { destroy(): void }>();
  const lazy = <T extends { destroy(): void }>(key: string, make: () => T): T => {
    let client = cache.get(key) as T | undefined;
    if (!client) {
      client = make();
      cache.set(key, client);
    }
    return client;
  };
  const clients: AwsClients = {
    settings,
    get dynamodb() {
      return lazy("dynamodb", () => new DynamoDBClient(base));
    },
    get documents() {
      return lazy("documents", () =>
        DynamoDBDocumentClient.from(clients.dynamodb, {
          // Numbers come back as NumberValue so 38-digit values survive; we never lose precision.
          unmarshallOptions: { wrapNumbers: true },
          marshallOptions: { removeUndefinedValues: true },
        }),
      );
    },
    get streams() {
      return lazy("streams", () => new DynamoDBStreamsClient(base));
    },
    get s3() {
      return lazy(
        "s3",
        () =>
          new S3Client({
            ...base,
            // Emulators and VPC endpoints are addressed by path; real AWS keeps virtual-host style.
            forcePathStyle: Boolean(settings.endpointUrl),
          }),
      );
    },
    get cloudformation() {
      return lazy("cloudformation", () => new CloudFormationClient(base));
    },
    get sts() {
      return lazy("sts", () => new STSClient(base));
    },
    destroy() {
      for (const client of cache.values()) client.destroy();
      cache.clear();
    },
  };
  return clients;
}
