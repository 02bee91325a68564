/** What every AWS client of trace is built with: region, profile, endpoint, credentials, retries, logger. */
import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";

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

/**
 * The SDK's logger middleware passes every response through the operation's sensitive-data filter
 * before calling `logger.info`, even when the logger is the default no-op: for a Scan page that is
 * a deep copy of every item, measured at a fifth of the export's CPU (`npm run bench -- export`).
 * It calls `logger.info?.(…)`, so a logger without `info` skips the copy; the rest stay no-ops.
 */
export const quietLogger = { debug() {}, warn() {}, error() {} } as unknown as NonNullable<DynamoDBClientConfig["logger"]>;

export function commonConfig(settings: AwsSettings) {
  return {
    region: settings.region,
    logger: quietLogger,
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    retryMode: "adaptive",
    maxAttempts: settings.maxAttempts ?? 8,
  } as const;
}
