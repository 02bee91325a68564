// Issue 22's static checks (stream-loss-checks.ts, each citing the AWS page it enforces): the
// templates pass them, and the templates as they were before the issue fail every one of them,
// so none passes vacuously.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTemplate, parseTemplate, type Template } from "../../support/cloudformation";
import { projectRoot } from "../../support/paths";
import {
  checkAuditRecordFailureAlarm,
  checkClaimsOutliveTheirEvents,
  checkEventBridgeMayEncryptDeadLetters,
  checkFirstFailureAlarm,
  checkMappingFailuresKeptWhole,
  checkPipeDeadLettersRedriven,
  checkPipesFitTheBus,
  checkRecordAge,
  checkRuleDeadLetterFailuresAlarm,
  WORST_RECORD_JSON_BYTES,
} from "./stream-loss-checks";

type Stacks = { base: Template; audit: Template; archive: Template };

const now: Stacks = { base: loadTemplate("base"), audit: loadTemplate("audit"), archive: loadTemplate("archive") };
const beforeDir = join(projectRoot, "test", "fixtures", "cloudformation", "before-issue-22");
const before: Stacks = {
  base: parseTemplate(readFileSync(join(beforeDir, "base.yaml"), "utf8")),
  audit: parseTemplate(readFileSync(join(beforeDir, "audit.yaml"), "utf8")),
  archive: parseTemplate(readFileSync(join(beforeDir, "archive.yaml"), "utf8")),
};

const CHECKS: [string, (s: Stacks) => void][] = [
  ["every pipe's entries and requests fit PutEvents and its enrichment's 6 MB (eb-putevent-size)", (s) => checkPipesFitTheBus(s.archive)],
  [
    "no stream record is dropped by age while the stream holds it (eb-pipes-error-troubleshooting)",
    (s) => {
      checkRecordAge(s.archive);
      checkRecordAge(s.audit);
    },
  ],
  ["the pipes' pointers are redriven from the stream, the rest parked with an alarm", (s) => checkPipeDeadLettersRedriven(s.archive)],
  ["the audit mapping keeps failed batches whole in S3 (services-dynamodb-errors)", (s) => checkMappingFailuresKeptWhole(s.audit)],
  [
    "EventBridge may encrypt the rule's dead letters: no unsupported condition (sqs/sns-key-management)",
    (s) => checkEventBridgeMayEncryptDeadLetters(s.base),
  ],
  [
    "an alarm when the rule cannot dead-letter (eb-monitoring: InvocationsFailedToBeSentToDlq)",
    (s) => checkRuleDeadLetterFailuresAlarm(s.archive),
  ],
  ["an alarm on a pipe's first failure stating the hours the stream keeps the record", (s) => checkFirstFailureAlarm(s.archive)],
  ["claim checks outlive every event naming them", (s) => checkClaimsOutliveTheirEvents(s.base, s.archive)],
  ["an alarm on a failed Configuration record", (s) => checkAuditRecordFailureAlarm(s.audit)],
];

describe("issue 22: nothing lost between a table's stream and its archive or audit entry", () => {
  it.each(CHECKS)("%s: the templates pass", (_name, check) => check(now));
  it.each(CHECKS)("%s: the templates before the issue fail", (_name, check) => {
    // An assertion of the check fails, not the check itself (a TypeError would pass vacuously).
    const failure = (() => {
      try {
        check(before);
      } catch (error) {
        return error as Error;
      }
    })();
    expect(failure?.name).toBe("AssertionError");
  });

  it("a 400 KB item's record can be 3.6 MB of JSON: two do not fit the enrichment's 6 MB request, one does", () => {
    expect(WORST_RECORD_JSON_BYTES).toBeGreaterThan(9 * 409_000);
    expect(WORST_RECORD_JSON_BYTES).toBeLessThan(6 * 1024 * 1024);
    expect(2 * WORST_RECORD_JSON_BYTES).toBeGreaterThan(6 * 1024 * 1024);
  });
});
