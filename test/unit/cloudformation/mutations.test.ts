// The checks must catch a template that drops a requirement: each case removes one from a copy
// of the real template and expects the check that guards it to fail.
import { describe, expect, it } from "vitest";
import type { StackId } from "../../../src/core/stacks";
import { type Json, loadTemplate, resource, type Template } from "../../support/cloudformation";
import {
  checkArchivePipe,
  checkArchiveRule,
  checkDeadLetterQueues,
  checkLeastPrivilege,
  checkPermissionsBoundary,
  checkTableProtection,
  checkTlsOnly,
  checkTtl,
  table,
} from "./checks";

function mutated(stack: StackId, change: (template: Template) => void): Template {
  const template = structuredClone(loadTemplate(stack));
  change(template);
  return template;
}

const cases: { name: string; stack: StackId; change: (t: Template) => void; check: (t: Template) => void }[] = [
  {
    name: "TTL removed from TRAZABILIDAD",
    stack: "traceability",
    change: (t) => delete table(t, "TRAZABILIDAD").Properties.TimeToLiveSpecification,
    check: checkTtl,
  },
  {
    name: "TTL on another attribute",
    stack: "traceability",
    change: (t) => {
      table(t, "TRAZABILIDAD").Properties.TimeToLiveSpecification.AttributeName = "ttl";
    },
    check: checkTtl,
  },
  {
    name: "the CMK removed from TRAZABILIDAD (AWS-owned key instead)",
    stack: "traceability",
    change: (t) => {
      table(t, "TRAZABILIDAD").Properties.SSESpecification = { SSEEnabled: false };
    },
    check: (t) => checkTableProtection(table(t, "TRAZABILIDAD")),
  },
  {
    name: "the CMK removed from Audit",
    stack: "audit",
    change: (t) => delete table(t, "Audit").Properties.SSESpecification.KMSMasterKeyId,
    check: (t) => checkTableProtection(table(t, "Audit")),
  },
  {
    name: "PITR off on Configuration",
    stack: "audit",
    change: (t) => {
      table(t, "Configuration").Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled = false;
    },
    check: (t) => checkTableProtection(table(t, "Configuration")),
  },
  {
    name: "TRAZABILIDAD not retained",
    stack: "traceability",
    change: (t) => delete table(t, "TRAZABILIDAD").DeletionPolicy,
    check: (t) => checkTableProtection(table(t, "TRAZABILIDAD")),
  },
  {
    name: "the TLS-only statement removed from the data bucket policy",
    stack: "base",
    change: (t) => {
      resource(t, "DataBucketPolicy").Properties.PolicyDocument.Statement = [];
    },
    check: (t) => checkTlsOnly(t, "DataBucket"),
  },
  {
    name: "the TLS-only statement turned into an Allow",
    stack: "bootstrap",
    change: (t) => {
      resource(t, "ArtifactBucketPolicy").Properties.PolicyDocument.Statement[0].Effect = "Allow";
    },
    check: (t) => checkTlsOnly(t, "ArtifactBucket"),
  },
  {
    name: "the REMOVE filter dropped from the archive rule",
    stack: "archive",
    change: (t) => delete resource(t, "ArchiveRule").Properties.EventPattern.detail,
    check: checkArchiveRule,
  },
  {
    name: "the archive rule matching MODIFY too",
    stack: "archive",
    change: (t) => resource(t, "ArchiveRule").Properties.EventPattern.detail.eventName.push("MODIFY"),
    check: checkArchiveRule,
  },
  {
    name: "the archive rule's DLQ removed",
    stack: "archive",
    change: (t) => delete resource(t, "ArchiveRule").Properties.Targets[0].DeadLetterConfig,
    check: checkArchiveRule,
  },
  {
    name: "a pipe's DLQ removed",
    stack: "archive",
    change: (t) => delete resource(t, "TrazabilidadArchivePipe").Properties.SourceParameters.DynamoDBStreamParameters.DeadLetterConfig,
    check: (t) => checkArchivePipe(t, "TrazabilidadStreamArn", "ArchivesTrazabilidad"),
  },
  {
    name: "the archive DLQ kept 4 days instead of 14",
    stack: "archive",
    change: (t) => {
      resource(t, "ArchiveDeadLetterQueue").Properties.MessageRetentionPeriod = 345600;
    },
    check: (t) => checkDeadLetterQueues(t, ["ArchiveDeadLetterQueue"]),
  },
  {
    name: "the export DLQ removed",
    stack: "traceability",
    change: (t) => {
      delete t.Resources.ExportDeadLetterQueue;
    },
    check: (t) => checkDeadLetterQueues(t, ["ExportDeadLetterQueue"]),
  },
  {
    name: "the pipes' dead-letter queue unencrypted",
    stack: "archive",
    change: (t) => delete resource(t, "PipeDeadLetterQueue").Properties.KmsMasterKeyId,
    check: (t) => checkDeadLetterQueues(t, ["ArchiveDeadLetterQueue"]),
  },
  {
    name: "a pipe without its claim-check enrichment",
    stack: "archive",
    change: (t) => delete resource(t, "ConfigurationArchivePipe").Properties.Enrichment,
    check: (t) => checkArchivePipe(t, "ConfigurationStreamArn", "ArchivesConfiguration"),
  },
  {
    name: "a role without the permissions boundary",
    stack: "archive",
    change: (t) => delete resource(t, "PipeRole").Properties.PermissionsBoundary,
    check: checkPermissionsBoundary,
  },
  {
    name: "a role allowed s3:* on every resource",
    stack: "archive",
    change: (t) => {
      (resource(t, "ArchiverRole").Properties.Policies[0].PolicyDocument.Statement as Json[]).push({
        Effect: "Allow",
        Action: "s3:*",
        Resource: "*",
      });
    },
    check: checkLeastPrivilege,
  },
];

describe("a template that drops a requirement fails its check", () => {
  it.each(cases)("$name", ({ stack, change, check }) => {
    check(loadTemplate(stack)); // the real template passes...
    expect(() => check(mutated(stack, change))).toThrow(); // ...the mutated one does not
  });
});
