// The archiver fed the event the archive rule hands it, built from AWS's documented parts only
// (test/fixtures/aws-events: the EventBridge envelope, the Pipe's bus target parameters from the
// template, a documented REMOVE record as detail), against the emulator's bucket and key.
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapt, awsFixture, documentedRemoveRecord, documentedStreamEvent, documentedTtlRemoveRecord } from "../../support/aws-events";
import { loadTemplate, resourcesOfType } from "../../support/cloudformation";
import { emulatorClients } from "../../support/emulator";
import { type Archiver, archiver, createKmsKey, createVersionedBucket } from "./support";

const clients = emulatorClients();
let target: Archiver;
beforeAll(async () => {
  target = archiver(clients, await createVersionedBucket(clients), await createKmsKey(clients));
});
afterAll(() => clients.destroy());

const envelope = awsFixture<{ event: Record<string, unknown> }>("eventbridge-event").event;
// The time-window sample's eventSourceARN is the placeholder "stream-ARN"; the documented INSERT's is a real one.
const documentedStreamArn = () => documentedStreamEvent().Records[0]?.eventSourceARN as string;

function busEvent(record: DynamoDBRecord) {
  const [first] = resourcesOfType(loadTemplate("archive"), "AWS::Pipes::Pipe");
  const parameters = first?.[1].Properties?.TargetParameters?.EventBridgeEventBusParameters ?? {};
  const { Source, DetailType } = parameters as { Source: string; DetailType: string };
  return { ...envelope, source: Source, "detail-type": DetailType, detail: record };
}

describe("archiver on AWS's documented events", () => {
  it("archives a documented TTL REMOVE as a TTL deletion and a plain documented REMOVE as a user deletion, record kept as received", async () => {
    const cases = [
      { record: adapt(documentedTtlRemoveRecord(), { at: 1_795_000_000, eventSourceARN: documentedStreamArn() }), kind: "ttl" },
      { record: adapt(documentedRemoveRecord(), { at: 1_795_000_100, eventSourceARN: documentedStreamArn() }), kind: "user" },
    ];
    for (const { record, kind } of cases) {
      const outcome = await target.handle(busEvent(record));
      expect(outcome.status).toBe("archived");
      const key = outcome.objectKey as string;
      expect(key.startsWith("archive/TestTable/Id=101/")).toBe(true);
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: key }));
      expect(head.Metadata?.["deletion-kind"]).toBe(kind);
      const body = JSON.parse(
        (await (await clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))).Body?.transformToString()) ?? "{}",
      );
      expect(body).toMatchObject({ table: "TestTable", deletionKind: kind, record });
    }
  });

  it("ignores a documented INSERT or MODIFY if one ever reached it", async () => {
    for (const record of documentedStreamEvent().Records) {
      expect((await target.handle(busEvent(adapt(record)))).status).toBe("ignored");
    }
  });
});
