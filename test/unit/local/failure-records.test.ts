// The failure messages local mode writes, compared with the shapes AWS documents
// (test/fixtures/aws-events): Lambda's on-failure invocation record and the dead-letter attributes.
import { describe, expect, it } from "vitest";
import {
  deadLetterAttributes,
  localMappingUuid,
  pipeDeadLetterRecord,
  s3FailureObjectKey,
  streamInvocationRecord,
} from "../../../src/local/failure-records";
import { adapt, awsFixture, documentedStreamEvent } from "../../support/aws-events";

const shape = (value: unknown): unknown =>
  value && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)])) : typeof value;

describe("failure records in AWS's documented shapes", () => {
  it("the on-failure invocation record has the documented fields and formats", () => {
    const { event: documented } = awsFixture<{ event: Record<string, Record<string, unknown>> }>("lambda-dynamodb-on-failure-record");
    const batch = documentedStreamEvent().Records.map((r, i) => adapt(r, { at: 1_573_690_399 + i }));
    const record = streamInvocationRecord({
      batch,
      shardId: "shardId-00000001573689847184-864758bb",
      streamArn: batch[0]?.eventSourceARN ?? "",
      functionArn: "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
      invokeCount: 1,
      functionError: "Unhandled",
      now: new Date("2019-11-14T00:13:49.717Z"),
    });
    expect(shape(record)).toEqual(shape(documented));
    expect(record.timestamp).toBe("2019-11-14T00:13:49.717Z"); // documented: "2019-11-14T00:13:49.717Z"
    expect(record.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: "111",
      endSequenceNumber: "222",
      approximateArrivalOfFirstRecord: "2019-11-14T00:13:19Z", // documented form: "2019-11-14T00:13:19Z"
      approximateArrivalOfLastRecord: "2019-11-14T00:13:20Z",
      batchSize: 2,
    });
    expect(record.requestContext.condition).toBe(documented.requestContext?.condition);
    expect(record.version).toBe(documented.version);
  });

  it("the dead-letter attributes are the documented names and types, the message cut to 1 KB", () => {
    const { attributes } = awsFixture<{ attributes: Record<string, { type: string }> }>("lambda-async-dead-letter-attributes");
    const made = deadLetterAttributes("req-1", new Error("é".repeat(2000)));
    expect(Object.fromEntries(Object.entries(made).map(([k, v]) => [k, v.DataType]))).toEqual(
      Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, v.type])),
    );
    expect(Buffer.byteLength(made.ErrorMessage?.StringValue ?? "", "utf8")).toBe(1024);
    // A 3-byte character across the 1 KB boundary is dropped whole, not torn.
    const torn = deadLetterAttributes("req-2", new Error(`ab${"€".repeat(400)}`)).ErrorMessage?.StringValue ?? "";
    expect(Buffer.byteLength(torn, "utf8")).toBe(1022);
    expect(torn.endsWith("€")).toBe(true);
  });

  it("a pipe's dead letter is the batch's position (the documented DDBStreamBatchInfo), never the records", () => {
    const { event: documented } = awsFixture<{ event: Record<string, unknown> }>("pipes-dynamodb-dead-letter");
    const batch = documentedStreamEvent().Records.map((r, i) => adapt(r, { at: 1_573_690_399 + i }));
    const pointer = pipeDeadLetterRecord({
      batch,
      shardId: "shardId-00000001573689847184-864758bb",
      streamArn: batch[0]?.eventSourceARN ?? "",
      pipeArn: "arn:aws:pipes:us-east-2:123456789012:pipe/trace-dev-archive-trazabilidad",
      now: new Date("2019-11-14T00:13:49.717Z"),
    });
    expect(shape(pointer)).toEqual(shape(documented));
    expect(JSON.stringify(pointer)).not.toContain("New item!");
  });

  it("an S3 destination's object key follows AWS's documented layout", () => {
    const { key } = awsFixture<{ key: string }>("lambda-dynamodb-on-failure-s3-object");
    const uuid = localMappingUuid("arn:aws:lambda:us-east-2:123456789012:function:myfunction", "arn:stream");
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    const made = s3FailureObjectKey(
      "a1b2c3d4-5678-4abc-8def-0123456789ab",
      "shardId-00000001573689847184-864758bb",
      new Date("2019-11-14T00:13:49.717Z"),
      "0f8fad5b-d9cb-469f-a165-70867728950e",
    );
    expect(made).toBe(key);
  });
});
