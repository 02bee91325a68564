// archive_claims: the archive pipes' enrichment. The Pipe invokes it synchronously with its batch
// (a JSON array of stream records) and puts what it returns on the bus, one entry per element.
// Thin: each record goes through core's claim check (src/core/archive/claim-check.ts), which
// stores a record too large for an event in S3 and returns its claim check instead. A failure
// throws: the Pipe retries the batch and then sends its pointer to the pipes' dead-letter queue.
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { type BusRecord, checkIn } from "../src/core/archive/claim-check";
import { createS3Client } from "../src/core/aws/clients";
import { ErrorCode, TraceError } from "../src/core/errors";
import type { Reporter } from "../src/core/reporter";
import { LAMBDA_ENV } from "../src/core/stacks";
import { createLogger, lambdaAwsSettings, loggerReporter, requireEnv } from "./shared/runtime";

export interface ClaimsHandlerDeps {
  s3: Pick<S3Client, "send">;
  bucket: string;
  kmsKeyArn: string;
  reporter: Reporter;
}

export type ClaimsHandler = (event: unknown) => Promise<BusRecord[]>;

/** The enrichment over injected clients: what local mode and tests call. */
export function createHandler(deps: ClaimsHandlerDeps): ClaimsHandler {
  return async (event) => {
    if (!Array.isArray(event)) {
      throw new TraceError(ErrorCode.failed, "archive_claims expects the pipe's batch, a JSON array of stream records", {
        hint: "it is the archive pipes' enrichment; invoke it with the records the pipe read",
      });
    }
    const out: BusRecord[] = [];
    for (const record of event as DynamoDBRecord[]) {
      const checked = await checkIn(deps, record);
      if (checked.claim) deps.reporter.info("claim check", { eventId: record.eventID, key: checked.claim.key, bytes: checked.claim.bytes });
      out.push(checked);
    }
    return out;
  };
}

const s3 = createS3Client(lambdaAwsSettings());
const logger = createLogger("archive_claims");
let deployed: ClaimsHandler | undefined;

export async function handler(event: unknown): Promise<BusRecord[]> {
  deployed ??= createHandler({
    s3,
    bucket: requireEnv(LAMBDA_ENV.bucketName),
    kmsKeyArn: requireEnv(LAMBDA_ENV.kmsKeyArn),
    reporter: loggerReporter(logger),
  });
  return deployed(event);
}
