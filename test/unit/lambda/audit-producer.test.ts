// Handler behaviour that needs a fault on every write (the emulator cannot be made to fail
// every request): a client stub that only throws, as fault injection.
import { describe, expect, it } from "vitest";
import { createHandler } from "../../../lambda/audit-producer";
import { silentReporter } from "../../../src/core/reporter";
import { recordingReporter } from "../../support/recording-reporter";
import { insertRecord } from "../../support/stream-records";

const throttled = {
  send: async () => {
    throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), { name: "ThrottlingException" });
  },
};

describe("audit_producer when every record fails", () => {
  const records = [insertRecord({ key: { S: "A" } }), insertRecord({ key: { S: "B" } })];

  it("throws by default, so the invocation errors and the Errors alarm sees it", async () => {
    const reporter = recordingReporter();
    const handler = createHandler({ dynamodb: throttled, auditTableName: "Audit", reporter });
    await expect(handler({ Records: records })).rejects.toThrow(/All records failed processing/);
    expect(reporter.warnings.map((w) => w.message)).toEqual(["record failed", "record failed", "batch failed: every record failed"]);
  });

  it("with throwOnFullBatchFailure false, returns every record as failed, by sequence number", async () => {
    const handler = createHandler({
      dynamodb: throttled,
      auditTableName: "Audit",
      reporter: silentReporter,
      throwOnFullBatchFailure: false,
    });
    const response = await handler({ Records: records });
    expect(response.batchItemFailures).toEqual(records.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber })));
  });

  it("an empty batch is an empty response", async () => {
    const handler = createHandler({ dynamodb: throttled, auditTableName: "Audit", reporter: silentReporter });
    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});
