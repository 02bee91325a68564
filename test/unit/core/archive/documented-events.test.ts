// The archive path checked against the events AWS documents (test/fixtures/aws-events), not only
// against records this project builds: the Pipe's filter and the rule's pattern as the template
// declares them, and the envelope our wrapper builds for local mode and tests.
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { deletionKindOf } from "../../../../src/core/archive/archive-object";
import { matchesRemovePattern, toPipeBusEvent } from "../../../../src/core/archive/pipe-event";
import { readDeliverySettings } from "../../../../src/local/delivery-settings";
import { matchesEventPattern, passesFilters } from "../../../../src/local/event-pattern";
import { awsFixture, documentedRemoveRecord, documentedStreamEvent, documentedTtlRemoveRecord } from "../../../support/aws-events";
import { loadTemplate, resourcesOfType } from "../../../support/cloudformation";
import { projectRoot } from "../../../support/paths";

const settings = readDeliverySettings(`${projectRoot}/cloudformation`);
const envelope = awsFixture<{ event: Record<string, unknown> }>("eventbridge-event").event;
const pipeBatch = awsFixture<{ event: DynamoDBRecord[] }>("pipes-dynamodb-source-event").event;

/** What the template tells the Pipe to put on the bus (its EventBridgeEventBusParameters). */
function busTargetParameters(): { Source: string; DetailType: string } {
  const pipes = resourcesOfType(loadTemplate("archive"), "AWS::Pipes::Pipe");
  const params = pipes.map(([, p]) => p.Properties.TargetParameters.EventBridgeEventBusParameters);
  expect(new Set(params.map((p) => JSON.stringify(p))).size).toBe(1);
  return params[0];
}

/**
 * The event the rule hands to the archiver, from documented parts only: the documented envelope,
 * with Source and DetailType as the Pipe's target parameters set them and `detail` = one record
 * (a bus target takes each record of the Pipe's batch as one PutEvents entry).
 */
function documentedBusEvent(record: DynamoDBRecord) {
  const { Source, DetailType } = busTargetParameters();
  return { ...envelope, source: Source, "detail-type": DetailType, detail: record };
}

const jsonType = (value: unknown) => (Array.isArray(value) ? "array" : value === null ? "null" : typeof value);

describe("documented events through the archive path", () => {
  it("the Pipe's filter (archive.yaml) lets the documented REMOVE through and stops the documented INSERT and MODIFY", () => {
    for (const pipe of settings.pipes) {
      expect(passesFilters(pipe.filterPatterns, documentedRemoveRecord())).toBe(true);
      expect(passesFilters(pipe.filterPatterns, documentedTtlRemoveRecord())).toBe(true);
      for (const record of [...documentedStreamEvent().Records, ...pipeBatch]) {
        expect(passesFilters(pipe.filterPatterns, record), record.eventName).toBe(false);
      }
    }
  });

  it("the REMOVE rule's pattern (archive.yaml) matches the bus event of a documented REMOVE, and nothing else", () => {
    for (const record of [documentedRemoveRecord(), documentedTtlRemoveRecord()]) {
      expect(matchesEventPattern(settings.archive.rulePattern, documentedBusEvent(record))).toBe(true);
      expect(matchesRemovePattern(documentedBusEvent(record))).toBe(true);
    }
    for (const record of pipeBatch) {
      expect(matchesEventPattern(settings.archive.rulePattern, documentedBusEvent(record))).toBe(false);
      expect(matchesRemovePattern(documentedBusEvent(record))).toBe(false);
    }
    // The documented envelope as is (an EC2 event) is not ours.
    expect(matchesEventPattern(settings.archive.rulePattern, envelope)).toBe(false);
    expect(matchesRemovePattern(envelope)).toBe(false);
  });

  it("our wrapper builds the documented envelope: the same fields, of the same JSON types, with the record as detail", () => {
    const record = documentedTtlRemoveRecord();
    const wrapped = toPipeBusEvent(record);
    expect(Object.keys(wrapped).sort()).toEqual(Object.keys(envelope).sort());
    for (const [field, value] of Object.entries(envelope))
      expect(jsonType(wrapped[field as keyof typeof wrapped]), field).toBe(jsonType(value));
    expect(wrapped.version).toBe(envelope.version);
    expect(wrapped.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/); // as "2017-12-22T18:43:48Z"
    expect(wrapped.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // "A Version 4 UUID"
    expect(wrapped.detail).toEqual(record);
    const { Source, DetailType } = busTargetParameters();
    expect([wrapped.source, wrapped["detail-type"]]).toEqual([Source, DetailType]);
  });

  it("our wrapper takes the account from the documented stream ARN", () => {
    const [insert] = documentedStreamEvent().Records;
    expect(toPipeBusEvent(insert as DynamoDBRecord).account).toBe("111122223333");
    expect(toPipeBusEvent(insert as DynamoDBRecord).region).toBe("us-west-2");
  });

  it("a documented TTL deletion is recognised by its userIdentity; the plain documented REMOVE is a user deletion", () => {
    expect(deletionKindOf(documentedTtlRemoveRecord())).toBe("ttl");
    expect(deletionKindOf(documentedRemoveRecord())).toBe("user");
  });
});
