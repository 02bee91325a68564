import type { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { toPipeBusEvent } from "../../../../src/core/archive/pipe-event";
import { archiveRemoveEvent } from "../../../../src/core/archive/writer";
import { silentReporter } from "../../../../src/core/reporter";
import { removeRecord } from "./records";

// Fault injection only: the behaviour against S3 itself is in test/integration/archive.
function failingS3(error: Error): Pick<S3Client, "send"> {
  return { send: async () => Promise.reject(error) } as unknown as Pick<S3Client, "send">;
}

const deps = (s3: Pick<S3Client, "send">) => ({
  s3,
  keySchema: async () => {
    throw new Error("not needed for a single-key table");
  },
  bucket: "data",
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234",
  reporter: silentReporter,
});

describe("archiveRemoveEvent failures", () => {
  it("throws when S3 fails, so EventBridge retries and then dead-letters the event", async () => {
    const dropped = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    await expect(archiveRemoveEvent(deps(failingS3(dropped)), toPipeBusEvent(removeRecord()))).rejects.toThrow(/socket hang up/);
    const throttled = Object.assign(new Error("Please reduce your request rate."), { name: "SlowDown" });
    await expect(archiveRemoveEvent(deps(failingS3(throttled)), toPipeBusEvent(removeRecord()))).rejects.toMatchObject({
      code: "THROTTLED",
    });
  });

  it("treats a precondition failure (object already written) as already archived", async () => {
    const exists = Object.assign(new Error("At least one of the pre-conditions you specified did not hold"), {
      name: "PreconditionFailed",
      $metadata: { httpStatusCode: 412 },
    });
    await expect(archiveRemoveEvent(deps(failingS3(exists)), toPipeBusEvent(removeRecord()))).resolves.toMatchObject({
      status: "already-archived",
    });
  });

  it("throws on an event that is not from the archive Pipe, and ignores non-deletions", async () => {
    const s3 = failingS3(new Error("must not be called"));
    await expect(archiveRemoveEvent(deps(s3), { source: "aws.s3", detail: {} })).rejects.toThrow(/not an archive event/);
    await expect(archiveRemoveEvent(deps(s3), toPipeBusEvent(removeRecord({ eventName: "MODIFY" })))).resolves.toMatchObject({
      status: "ignored",
    });
  });
});
