import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, type Tags } from "yaml";
import { matchesRemovePattern, REMOVE_EVENT_PATTERN, toPipeBusEvent } from "../../../../src/core/archive/pipe-event";
import { projectRoot } from "../../../support/paths";
import { removeRecord } from "./records";

// CloudFormation short-form functions, kept as plain values: only the rule's pattern matters here.
const CFN_TAGS: Tags = [
  "Ref",
  "Sub",
  "GetAtt",
  "Join",
  "If",
  "Equals",
  "Not",
  "And",
  "Or",
  "Select",
  "Split",
  "FindInMap",
  "ImportValue",
  "GetAZs",
  "Base64",
  "Cidr",
  "Condition",
  "Transform",
].flatMap((name) => [
  { tag: `!${name}`, resolve: (value: unknown) => value },
  { tag: `!${name}`, collection: "seq" as const, resolve: (value: unknown) => value },
  { tag: `!${name}`, collection: "map" as const, resolve: (value: unknown) => value },
]);

describe("the Pipe → bus → rule event", () => {
  it("wraps a stream record in the EventBridge envelope with the record as detail", () => {
    const record = removeRecord();
    const event = toPipeBusEvent(record, { id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", time: "2026-11-23T16:30:24Z" });
    expect(event).toEqual({
      version: "0",
      id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      "detail-type": "DynamoDB Stream Record",
      source: "trace.archive",
      account: "123456789012",
      time: "2026-11-23T16:30:24Z",
      region: "eu-west-1",
      resources: [],
      detail: record,
    });
  });

  it("renders bytes from the Streams API as base64, as the JSON the Pipe forwards", () => {
    const record = removeRecord();
    (record.dynamodb as { OldImage: Record<string, unknown> }).OldImage = {
      id: { S: "A-1" },
      b: { B: new Uint8Array([0, 1, 2, 255]) },
      bs: { BS: [new Uint8Array([0]), new Uint8Array([255])] },
    };
    const detail = toPipeBusEvent(record).detail;
    expect(detail.dynamodb?.OldImage?.b).toEqual({ B: "AAEC/w==" });
    expect(detail.dynamodb?.OldImage?.bs).toEqual({ BS: ["AA==", "/w=="] });
  });

  it("matches REMOVE records from the archive source only", () => {
    expect(matchesRemovePattern(toPipeBusEvent(removeRecord()))).toBe(true);
    expect(matchesRemovePattern(toPipeBusEvent(removeRecord({ eventName: "INSERT" })))).toBe(false);
    expect(matchesRemovePattern(toPipeBusEvent(removeRecord({ eventName: "MODIFY" })))).toBe(false);
    expect(matchesRemovePattern({ ...toPipeBusEvent(removeRecord()), source: "aws.dynamodb" })).toBe(false);
    expect(matchesRemovePattern({ source: "trace.archive" })).toBe(false);
    expect(matchesRemovePattern(null)).toBe(false);
  });

  it("uses the same pattern as the archive template's rule", () => {
    expect(REMOVE_EVENT_PATTERN).toEqual({ source: ["trace.archive"], detail: { eventName: ["REMOVE"] } });
    const template = join(projectRoot, "cloudformation", "archive.yaml");
    // Until the archive stack lands (issue 3) there is no template to compare with.
    if (!existsSync(template)) return;
    const doc = parse(readFileSync(template, "utf8"), { customTags: CFN_TAGS }) as {
      Resources: Record<string, { Type: string; Properties?: { EventPattern?: unknown } }>;
    };
    const rules = Object.values(doc.Resources).filter((r) => r.Type === "AWS::Events::Rule");
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const pattern = rule.Properties?.EventPattern;
      expect(typeof pattern === "string" ? JSON.parse(pattern) : pattern).toEqual(REMOVE_EVENT_PATTERN);
    }
  });
});
