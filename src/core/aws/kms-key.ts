/**
 * `--kms-key`: checked before any record is read, as `--bucket` and `--table` are. A key AWS would
 * refuse only at the first encrypted write (after the whole read) is refused here: its shape first
 * (no AWS call), then that it exists, is enabled and can encrypt for S3 (DescribeKey).
 */
import { DescribeKeyCommand, type KeyMetadata, type KMSClient } from "@aws-sdk/client-kms";
import { ErrorCode, TraceError, toTraceError, usageError } from "../errors";

// The four forms KMS takes for a key, as the DescribeKey API reference lists them (key ID, key ARN,
// alias name, alias ARN): https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
// A multi-Region key's ID is `mrk-` and 32 hex digits:
// https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html
const KEY_ID = "(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})";
// Alias names: letters, digits, `/`, `_`, `-`, 1-256 characters after `alias/`, never `alias/aws/…` for
// a customer key (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html).
const ALIAS = "alias/[a-zA-Z0-9/_-]{1,250}";
const ARN = "arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:";
const KEY_FORMS = new RegExp(`^(?:${KEY_ID}|${ALIAS}|${ARN}key/${KEY_ID}|${ARN}${ALIAS})$`);

/** Throws a usage error (exit 2) when `value` is none of the forms KMS takes for a key. */
export function checkKmsKeyShape(value: string, flag = "--kms-key"): void {
  if (KEY_FORMS.test(value)) return;
  throw usageError(
    `${flag} ${JSON.stringify(value)} is not a KMS key: expected a key ID, key ARN, alias name (alias/…) or alias ARN`,
    `pass e.g. ${flag} arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab, or leave it out to use the base stack's DataKeyArn`,
  );
}

/**
 * Checks that the key exists and can encrypt an S3 object: enabled, a symmetric encryption key
 * (S3's SSE-KMS takes symmetric keys only:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html). Returns its ARN.
 */
export async function checkKmsKeyUsable(
  kms: Pick<KMSClient, "send">,
  keyId: string,
  signal?: AbortSignal,
  flag = "--kms-key",
): Promise<string> {
  let metadata: KeyMetadata | undefined;
  try {
    ({ KeyMetadata: metadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal: signal }));
  } catch (error) {
    const traced = toTraceError(error, `KMS key ${JSON.stringify(keyId)}`);
    if (traced.code !== ErrorCode.notFound) throw traced;
    throw new TraceError(ErrorCode.notFound, `KMS key ${JSON.stringify(keyId)} (${flag}) does not exist in this account and region`, {
      hint: `check ${flag}, --env / --region, or leave ${flag} out to use the base stack's DataKeyArn`,
      cause: error,
    });
  }
  const problem =
    metadata?.KeyState !== undefined && metadata.KeyState !== "Enabled"
      ? `is ${metadata.KeyState}, not Enabled`
      : metadata?.KeyUsage !== undefined && metadata.KeyUsage !== "ENCRYPT_DECRYPT"
        ? `is for ${metadata.KeyUsage}, not ENCRYPT_DECRYPT`
        : metadata?.KeySpec !== undefined && metadata.KeySpec !== "SYMMETRIC_DEFAULT"
          ? `is ${metadata.KeySpec}; S3 encrypts with symmetric keys only`
          : undefined;
  if (problem) {
    throw usageError(
      `KMS key ${JSON.stringify(keyId)} (${flag}) ${problem}`,
      `pass another key to ${flag}, or leave it out to use DataKeyArn`,
    );
  }
  return metadata?.Arn ?? keyId;
}
