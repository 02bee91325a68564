// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are CloudFormation !Sub strings
import { describe, expect, it } from "vitest";
import { METRICS } from "../../../lambda/shared/metrics";
import { environmentSchema } from "../../../src/core/config";
import { configParameters, FUNCTIONS, type FunctionSpec, STACK_OUTPUTS, STACKS, type StackId } from "../../../src/core/stacks";
import {
  allowedActions,
  loadTemplate,
  onlyResource,
  type Resource,
  referencedNames,
  resourcesOfType,
  roleStatements,
  type Template,
} from "../../support/cloudformation";
import {
  ARCHIVE_EVENT_PATTERN,
  AUDIT_HISTORY_INDEX,
  actionsFor,
  alarmOn,
  archivePipes,
  checkAlarmsNotifyTopic,
  checkArchivePipe,
  checkArchiveRule,
  checkDataBucketEncryption,
  checkDeadLetterQueues,
  checkFunction,
  checkKeySchema,
  checkLeastPrivilege,
  checkLifecycle,
  checkLogsOnlyToOwnGroup,
  checkPermissionsBoundary,
  checkPrivateVersionedBucket,
  checkStream,
  checkTableProtection,
  checkTlsOnly,
  checkTtl,
  functionNamed,
  functionRole,
  table,
} from "./checks";

const templates = Object.fromEntries(STACKS.map((stack) => [stack, loadTemplate(stack)])) as Record<StackId, Template>;
const ref = (name: string) => ({ Ref: name });
const getAtt = (id: string, attribute: string) => ({ "Fn::GetAtt": [id, attribute] });
const CONFIG_PARAMETERS = Object.keys(configParameters(environmentSchema.parse({ stage: "t" })));
const ARTIFACT_PARAMETERS = [
  "ArtifactBucketName",
  ...(Object.values(FUNCTIONS) as FunctionSpec[]).flatMap((f) => [
    f.codeKeyParameter,
    ...(f.revisionParameter ? [f.revisionParameter] : []),
  ]),
];

describe("the contract with deploy and the commands (src/core/stacks.ts)", () => {
  it.each(STACKS)("%s declares exactly its STACK_OUTPUTS, each exported as <stack>-<key>", (stack) => {
    const outputs = templates[stack].Outputs;
    expect(Object.keys(outputs).sort()).toEqual([...STACK_OUTPUTS[stack]].sort());
    for (const [key, output] of Object.entries(outputs)) {
      expect(output.Export?.Name).toEqual({ "Fn::Sub": `\${AWS::StackName}-${key}` });
    }
  });

  it.each(STACKS)("every parameter of %s is config, an artifact, or an output of an earlier stack", (stack) => {
    const earlier = STACKS.slice(0, STACKS.indexOf(stack)).flatMap((s) => [...STACK_OUTPUTS[s]]);
    for (const name of Object.keys(templates[stack].Parameters)) {
      expect([...CONFIG_PARAMETERS, ...ARTIFACT_PARAMETERS, ...earlier], `${stack}: parameter ${name}`).toContain(name);
    }
  });

  it.each(STACKS)("%s declares no parameter it does not use", (stack) => {
    const template = templates[stack];
    const used = referencedNames({ r: template.Resources, c: template.Conditions, o: template.Outputs });
    for (const name of Object.keys(template.Parameters)) expect(used, `${stack}: ${name}`).toContain(name);
  });

  it("numbers and switches have the types the deploy engine passes", () => {
    const all = Object.assign({}, ...STACKS.map((s) => templates[s].Parameters));
    for (const name of ["ExportHour", "RetentionDays", "LogRetentionDays", "ExportSegments", "ExportEphemeralStorageMiB"]) {
      expect(all[name].Type, name).toBe("Number");
    }
    expect([all.ExportEphemeralStorageMiB.MinValue, all.ExportEphemeralStorageMiB.MaxValue]).toEqual([512, 10240]);
    expect(all.LogRetentionDays.AllowedValues).toEqual([1, 3, 5, 7, 14, 30, 60, 90, 180, 365]);
    for (const name of ["EnableBackups", "ArchiveTrazabilidad", "ArchiveConfiguration"]) {
      expect(all[name].AllowedValues, name).toEqual(["true", "false"]);
    }
    expect(all.EnableBackups.Default).toBe("false");
    for (const name of ["Prefix", "PermissionsBoundaryArn", "AlarmEmail"]) expect(all[name].Default, name).toBe("");
  });

  it("each function's code-key parameter lives in the stack that owns the function", () => {
    for (const fn of Object.values(FUNCTIONS)) expect(Object.keys(templates[fn.stack].Parameters)).toContain(fn.codeKeyParameter);
  });

  it("config maps archivedTables to one switch per seed table and rejects other names", () => {
    const env = environmentSchema.parse({ stage: "t", archivedTables: ["Configuration"] });
    expect(configParameters(env)).toMatchObject({ ArchiveTrazabilidad: "false", ArchiveConfiguration: "true" });
    expect(environmentSchema.safeParse({ stage: "t", archivedTables: ["Audit"] }).success).toBe(false);
    expect(configParameters(environmentSchema.parse({ stage: "t" }))).toMatchObject({
      ArchiveTrazabilidad: "true",
      ArchiveConfiguration: "true",
      EnableBackups: "false",
      ExportHour: "19",
      RetentionDays: "7",
      LogRetentionDays: "14",
    });
  });
});

describe.each(STACKS)("%s: cross-cutting rules", (stack) => {
  const template = templates[stack];
  it("every role takes the optional permissions boundary", () => checkPermissionsBoundary(template));
  it("no role allows wildcard actions or resources", () => checkLeastPrivilege(template));
  it("every table uses the CMK and PITR, on demand, and is retained", () => {
    for (const [, t] of resourcesOfType(template, "AWS::DynamoDB::Table")) checkTableProtection(t);
  });
});

describe.each(["traceability", "audit", "archive", "drill"] as const)("%s: alarms", (stack) => {
  it("every alarm notifies the base stack's topic", () => checkAlarmsNotifyTopic(templates[stack]));
});

describe("bootstrap", () => {
  const template = templates.bootstrap;
  it("the artifact bucket is versioned, encrypted, private and TLS-only", () => {
    const [id, bucket] = onlyResource(template, "AWS::S3::Bucket");
    checkPrivateVersionedBucket(bucket);
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
      "aws:kms",
    );
    checkTlsOnly(template, id);
  });
});

describe("base", () => {
  const template = templates.base;
  it("the key rotates, has an alias, and is retained", () => {
    const [keyId, key] = onlyResource(template, "AWS::KMS::Key");
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe("Retain");
    expect(key.UpdateReplacePolicy).toBe("Retain");
    const [, alias] = onlyResource(template, "AWS::KMS::Alias");
    expect(alias.Properties).toEqual({ AliasName: { "Fn::Sub": "alias/trace-${Stage}-data" }, TargetKeyId: ref(keyId) });
  });

  it("the key policy names the account and only the services these stacks use, each narrowed by a condition AWS supports", () => {
    const [, key] = onlyResource(template, "AWS::KMS::Key");
    const statements = key.Properties.KeyPolicy.Statement as { Principal: Record<string, unknown>; Condition?: unknown; Action: unknown }[];
    for (const statement of statements) expect(statement.Principal).not.toBe("*");
    const services = statements.filter((s) => s.Principal.Service).map((s) => JSON.stringify(s.Principal.Service));
    expect(services.sort()).toEqual(
      [
        '"cloudwatch.amazonaws.com"',
        '"delivery.logs.amazonaws.com"',
        '"events.amazonaws.com"',
        '{"Fn::Sub":"logs.${AWS::Region}.amazonaws.com"}',
      ].sort(),
    );
    for (const statement of statements.filter((s) => s.Principal.Service)) {
      // EventBridge's deliveries to an encrypted queue take no condition AWS supports (see
      // stream-losses.test.ts); its statement grants only GenerateDataKey and Decrypt.
      if (statement.Principal.Service === "events.amazonaws.com") expect(statement.Condition).toBeUndefined();
      else expect(statement.Condition).toBeDefined();
      expect(JSON.stringify(statement.Action)).not.toMatch(/kms:\*|Delete|Schedule|Put|Create/);
    }
    const accounts = statements.filter((s) => s.Principal.AWS);
    expect(accounts.map((s) => s.Principal.AWS)).toEqual([{ "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" }]);
  });

  it("the data bucket: SSE-KMS with the key and bucket key, versioned, private, TLS-only, retained", () => {
    const [id, bucket] = onlyResource(template, "AWS::S3::Bucket");
    checkDataBucketEncryption(bucket);
    checkPrivateVersionedBucket(bucket);
    checkTlsOnly(template, id);
  });

  it("lifecycle: exports/ and archive/ move to cheaper classes at the documented ages; old versions expire", () => {
    const [, bucket] = onlyResource(template, "AWS::S3::Bucket");
    expect(checkLifecycle(bucket)).toEqual([
      {
        prefix: "exports/",
        transitions: [
          { StorageClass: "STANDARD_IA", TransitionInDays: 30 },
          { StorageClass: "GLACIER_IR", TransitionInDays: 180 },
        ],
      },
      {
        prefix: "archive/",
        transitions: [
          { StorageClass: "STANDARD_IA", TransitionInDays: 30 },
          { StorageClass: "GLACIER_IR", TransitionInDays: 90 },
        ],
      },
    ]);
  });

  it("the alarm topic is encrypted with the key; the e-mail subscription exists only when configured", () => {
    const [topicId, topic] = onlyResource(template, "AWS::SNS::Topic");
    expect(topic.Properties.KmsMasterKeyId).toEqual(ref("DataKey"));
    const [, subscription] = onlyResource(template, "AWS::SNS::Subscription");
    expect(subscription.Condition).toBe("HasAlarmEmail");
    expect(subscription.Properties).toEqual({ TopicArn: ref(topicId), Protocol: "email", Endpoint: ref("AlarmEmail") });
    expect(template.Conditions.HasAlarmEmail).toEqual({ "Fn::Not": [{ "Fn::Equals": [ref("AlarmEmail"), ""] }] });
  });

  it("AWS Backup: off by default; hourly kept 30 days, weekly 90, monthly 365; the stage's three tables", () => {
    expect(template.Conditions.BackupsEnabled).toEqual({ "Fn::Equals": [ref("EnableBackups"), "true"] });
    const backupResources = Object.values(template.Resources).filter((r) => r.Type.startsWith("AWS::Backup::"));
    expect(backupResources).toHaveLength(3);
    for (const resource of backupResources) expect(resource.Condition).toBe("BackupsEnabled");
    const [, plan] = onlyResource(template, "AWS::Backup::BackupPlan");
    const rules = plan.Properties.BackupPlan.BackupPlanRule.map(
      (r: { ScheduleExpression: string; Lifecycle: { DeleteAfterDays: number } }) => [r.ScheduleExpression, r.Lifecycle.DeleteAfterDays],
    );
    expect(rules).toEqual([
      ["cron(0 * ? * * *)", 30],
      ["cron(0 3 ? * SUN *)", 90],
      ["cron(0 3 1 * ? *)", 365],
    ]);
    const [, selection] = onlyResource(template, "AWS::Backup::BackupSelection");
    const tables = selection.Properties.BackupSelection.Resources.map((r: { "Fn::Sub": string }) => r["Fn::Sub"].split("table/")[1]);
    expect(tables).toEqual(["${Prefix}TRAZABILIDAD", "${Prefix}Configuration", "${Prefix}Audit"]);
    const [, vault] = onlyResource(template, "AWS::Backup::BackupVault");
    expect(vault.Properties.EncryptionKeyArn).toEqual(getAtt("DataKey", "Arn"));
  });
});

describe("traceability", () => {
  const template = templates.traceability;
  const trazabilidad = table(template, "TRAZABILIDAD");

  it("TRAZABILIDAD: key id (S), TTL on expiresAt, stream NEW_AND_OLD_IMAGES", () => {
    // AttributeDefinitions depend on the day index (an unused definition is refused by DynamoDB).
    const [condition, withIndex, without] = trazabilidad.Properties.AttributeDefinitions["Fn::If"];
    expect(condition).toBe("HasDayIndex");
    for (const definitions of [withIndex, without])
      checkKeySchema({ ...trazabilidad, Properties: { ...trazabilidad.Properties, AttributeDefinitions: definitions } }, "id");
    checkTtl(template);
    checkStream(trazabilidad);
  });

  it("the day index: dia-index on dia (S), projection ALL, behind the DayIndex parameter (default on)", () => {
    expect(template.Parameters.DayIndex).toMatchObject({ Default: "true", AllowedValues: ["true", "false"] });
    expect(template.Conditions.HasDayIndex).toEqual({ "Fn::Equals": [ref("DayIndex"), "true"] });
    const [, withIndex, without] = trazabilidad.Properties.AttributeDefinitions["Fn::If"];
    expect(withIndex).toContainEqual({ AttributeName: "dia", AttributeType: "S" });
    expect(without).toEqual([{ AttributeName: "id", AttributeType: "S" }]);
    expect(trazabilidad.Properties.GlobalSecondaryIndexes).toEqual({
      "Fn::If": [
        "HasDayIndex",
        [{ IndexName: "dia-index", KeySchema: [{ AttributeName: "dia", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } }],
        ref("AWS::NoValue"),
      ],
    });
  });

  it("the export function: packaging, environment, log group with retention, errors alarm, one at a time", () => {
    const [, fn] = checkFunction(template, "export");
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: ref("TrazabilidadTable"),
      BUCKET_NAME: ref("DataBucketName"),
      KMS_KEY_ARN: ref("DataKeyArn"),
      TIME_ZONE: ref("TimeZone"),
      SCAN_SEGMENTS: ref("ExportSegments"),
      SPREADSHEET_SAFE: ref("ExportSpreadsheetSafe"),
    });
    expect(fn.Properties.EphemeralStorage).toEqual({ Size: ref("ExportEphemeralStorageMiB") });
    expect(fn.Properties.DeadLetterConfig).toEqual({ TargetArn: getAtt("ExportDeadLetterQueue", "Arn") });
  });

  it("the export role may only scan/query TRAZABILIDAD, put under exports/ (read manifests, undo a CSV version), use the key, hand big days to the native export, write its logs", () => {
    const [, fn] = functionNamed(template, "trazabilidad_export");
    const role = functionRole(template, fn);
    const dayIndexArn = { "Fn::Sub": "${TrazabilidadTable.Arn}/index/dia-index" };
    for (const { action, resources } of actionsFor(role, "dynamodb")) {
      expect(["dynamodb:Scan", "dynamodb:Query", "dynamodb:DescribeTable"]).toContain(action);
      // Query alone may reach the day index; nothing reaches other indexes.
      if (action === "dynamodb:Query" && resources[0]?.["Fn::Sub"]) expect(resources).toEqual([dayIndexArn]);
      else expect(resources).toEqual([getAtt("TrazabilidadTable", "Arn")]);
    }
    expect(actionsFor(role, "dynamodb")).toContainEqual({ action: "dynamodb:Query", resources: [dayIndexArn] });
    expect(actionsFor(role, "dynamodb").map((a) => a.action)).toContain("dynamodb:Scan");
    // Write under exports/; read only manifests and the stamper's ledger (list only its key), delete
    // only CSV versions (the commit rule's undo).
    const s3Resources: Record<string, string[]> = {
      "s3:PutObject": ["arn:${AWS::Partition}:s3:::${DataBucketName}/exports/*"],
      "s3:AbortMultipartUpload": ["arn:${AWS::Partition}:s3:::${DataBucketName}/exports/*"],
      "s3:GetObject": [
        "arn:${AWS::Partition}:s3:::${DataBucketName}/exports/*/_manifest.json",
        "arn:${AWS::Partition}:s3:::${DataBucketName}/index/${Prefix}TRAZABILIDAD/ledger.json",
      ],
      "s3:DeleteObjectVersion": ["arn:${AWS::Partition}:s3:::${DataBucketName}/exports/*.csv"],
      "s3:ListBucket": ["arn:${AWS::Partition}:s3:::${DataBucketName}"],
    };
    for (const { action, resources } of actionsFor(role, "s3")) {
      expect(Object.keys(s3Resources)).toContain(action);
      expect(s3Resources[action]).toContainEqual((resources[0] as { "Fn::Sub": string })["Fn::Sub"]);
      expect(resources).toHaveLength(1);
    }
    expect(
      actionsFor(role, "s3")
        .map((a) => `${a.action} ${(a.resources[0] as { "Fn::Sub": string })["Fn::Sub"]}`)
        .sort(),
    ).toEqual(
      Object.entries(s3Resources)
        .flatMap(([action, arns]) => arns.map((arn) => `${action} ${arn}`))
        .sort(),
    );
    const listing = roleStatements(role).find((s) => s.Action === "s3:ListBucket");
    expect(listing.Condition).toEqual({ StringEquals: { "s3:prefix": { "Fn::Sub": "index/${Prefix}TRAZABILIDAD/ledger.json" } } });
    for (const { action, resources } of actionsFor(role, "kms")) {
      expect(["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"]).toContain(action);
      expect(resources).toEqual([ref("DataKeyArn")]);
    }
    expect(actionsFor(role, "states")).toEqual([{ action: "states:StartExecution", resources: [ref("NativeExportStateMachine")] }]);
    checkLogsOnlyToOwnGroup(template, role);
    const services = new Set(allowedActions(role).map((a) => a.action.split(":")[0]));
    expect([...services].sort()).toEqual(["dynamodb", "kms", "logs", "s3", "sqs", "states"]);
  });

  it("the schedule: export hour in the business time zone, scheduled time as input, retries and a DLQ", () => {
    const schedule = template.Resources.ExportSchedule as Resource;
    expect(schedule.Type).toBe("AWS::Scheduler::Schedule");
    expect(schedule.Properties.ScheduleExpression).toEqual({ "Fn::Sub": "cron(0 ${ExportHour} * * ? *)" });
    expect(schedule.Properties.ScheduleExpressionTimezone).toEqual(ref("TimeZone"));
    expect(schedule.Properties.State).toBe("ENABLED");
    const target = schedule.Properties.Target;
    expect(target.Arn).toEqual(ref("ExportAlias"));
    expect(JSON.parse(target.Input.replace("<aws.scheduler.scheduled-time>", "2026-01-01T18:00:00Z"))).toEqual({
      scheduledTime: "2026-01-01T18:00:00Z",
    });
    expect(target.Input).toBe('{"scheduledTime":"<aws.scheduler.scheduled-time>"}');
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(target.DeadLetterConfig).toEqual({ Arn: getAtt("ExportDeadLetterQueue", "Arn") });
    const role = template.Resources[target.RoleArn["Fn::GetAtt"][0]];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: "scheduler.amazonaws.com" });
    const lambda = actionsFor(role as never, "lambda");
    expect(lambda).toEqual([{ action: "lambda:InvokeFunction", resources: [ref("ExportAlias")] }]);
    const others = allowedActions(role as never).filter((a) => !a.action.startsWith("lambda:"));
    expect(others.map((a) => a.action).sort()).toEqual(["kms:Decrypt", "kms:GenerateDataKey", "sqs:SendMessage"]);
  });

  it("the dead-letter queue: KMS, 14 days, alarm on depth", () => checkDeadLetterQueues(template, ["ExportDeadLetterQueue"]));
});

describe('traceability: the day stamper (docs/export.md, "The day index")', () => {
  const template = templates.traceability;
  const ids = ["StamperLogGroup", "StamperRole", "StamperFunction", "StamperInvokeConfig", "StamperSchedulerRole", "StamperSchedule"];

  it("exists only with the day index (DayIndex), like dia-index itself", () => {
    const stamper = Object.entries(template.Resources).filter(([id]) => id.startsWith("Stamper"));
    expect(stamper.map(([id]) => id)).toEqual(expect.arrayContaining(ids));
    for (const [id, resource] of stamper) expect(resource.Condition, id).toBe("HasDayIndex");
  });

  it("the function: packaging, environment, log group, errors alarm, one run at a time, no retries of its own", () => {
    const [, fn] = checkFunction(template, "stamper");
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: ref("TrazabilidadTable"),
      BUCKET_NAME: ref("DataBucketName"),
      KMS_KEY_ARN: ref("DataKeyArn"),
      TIME_ZONE: ref("TimeZone"),
      // expiresAt = write time + the table's retention, for an item that has none.
      TABLE_RETENTION_DAYS: ref("RetentionDays"),
    });
    // The schedule runs it every minute: a failed run is retried by the next one, never queued behind it.
    expect(template.Resources.StamperInvokeConfig?.Properties).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    expect(fn.Properties.Timeout).toBeLessThanOrEqual(60);
  });

  it("the role reads the table's stream, sets dia on the table, keeps its ledger under index/<table>/, uses the key, writes its logs", () => {
    const [, fn] = functionNamed(template, "trazabilidad_stamper");
    const role = functionRole(template, fn);
    const byAction = (service: string) => Object.fromEntries(actionsFor(role, service).map((a) => [a.action, a.resources]));
    const stream = [{ "Fn::Sub": "${TrazabilidadTable.Arn}/stream/*" }];
    const tableArn = [getAtt("TrazabilidadTable", "Arn")];
    expect(byAction("dynamodb")).toEqual({
      "dynamodb:DescribeStream": stream,
      "dynamodb:GetShardIterator": stream,
      "dynamodb:GetRecords": stream,
      "dynamodb:DescribeTable": tableArn,
      "dynamodb:UpdateItem": tableArn,
      "dynamodb:GetItem": tableArn,
      "dynamodb:Scan": tableArn,
    });
    const ledger = [{ "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}/index/${Prefix}TRAZABILIDAD/*" }];
    expect(byAction("s3")).toEqual({
      "s3:GetObject": ledger,
      "s3:PutObject": ledger,
      "s3:ListBucket": [{ "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}" }],
    });
    const listing = roleStatements(role).find((s) => s.Action === "s3:ListBucket");
    expect(listing.Condition).toEqual({ StringEquals: { "s3:prefix": { "Fn::Sub": "index/${Prefix}TRAZABILIDAD/ledger.json" } } });
    // The table and stream (read and written by DynamoDB with the caller's permissions) and the ledger objects.
    const key = [ref("DataKeyArn")];
    expect(byAction("kms")).toEqual({
      "kms:Decrypt": key,
      "kms:DescribeKey": key,
      "kms:Encrypt": key,
      "kms:ReEncrypt*": key,
      "kms:GenerateDataKey*": key,
    });
    checkLogsOnlyToOwnGroup(template, role);
    expect([...new Set(allowedActions(role).map((a) => a.action.split(":")[0]))].sort()).toEqual(["dynamodb", "kms", "logs", "s3"]);
  });

  it("the schedule runs it every minute with a role of its own that may invoke only it", () => {
    const schedule = template.Resources.StamperSchedule as Resource;
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: "rate(1 minute)", State: "ENABLED" });
    // The alias live (versions.ts checks every invoker), built from the function's ARN.
    expect(schedule.Properties.Target.Arn).toEqual({ "Fn::Sub": `\${StamperFunction.Arn}:live` });
    expect(schedule.Properties.Target.RoleArn).toEqual(getAtt("StamperSchedulerRole", "Arn"));
    const role = template.Resources.StamperSchedulerRole as Resource;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: "scheduler.amazonaws.com" });
    expect(actionsFor(role, "lambda")).toEqual([
      { action: "lambda:InvokeFunction", resources: [{ "Fn::Sub": `\${StamperFunction.Arn}:live` }] },
    ]);
  });

  it("alarms when it lags past the slack or stops (missing data breaches), when records cannot take dia, when a stamp came late", () => {
    const alarms = resourcesOfType(template, "AWS::CloudWatch::Alarm")
      .map(([, a]) => a)
      .filter((a) => (a.Properties.Dimensions ?? []).some((d: { Value: unknown }) => d.Value === "trazabilidad_stamper"));
    // Its own metrics (EMF, lambda/shared/metrics.ts), in the stage's namespace; dashboard.test.ts checks they exist.
    for (const alarm of alarms) {
      expect(alarm.Properties.Namespace).toEqual({ "Fn::Sub": "trace/${Stage}" });
      expect(Object.keys(METRICS)).toContain(alarm.Properties.MetricName);
    }
    const lag = alarms.find((a) => a.Properties.MetricName === "StamperLagSeconds");
    expect(lag?.Properties).toMatchObject({ Statistic: "Maximum", Threshold: 900, TreatMissingData: "breaching" });
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(["LateStamps", "StamperLagSeconds", "UnstampedRecords"]);
    expect(alarmOn(template, "AWS/Lambda", "Errors", ref("StamperFunction"))).toBeDefined();
  });
});

describe("audit", () => {
  const template = templates.audit;
  const configuration = table(template, "Configuration");
  const audit = table(template, "Audit");

  it("Configuration: key `key` (S) with a NEW_AND_OLD_IMAGES stream", () => {
    checkKeySchema(configuration, "key");
    checkStream(configuration);
  });

  it("Audit: key id (S) and the history GSI on itemKey + modificationTime", () => {
    checkKeySchema(audit, "id");
    expect(audit.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: AUDIT_HISTORY_INDEX,
        KeySchema: [
          { AttributeName: "itemKey", KeyType: "HASH" },
          { AttributeName: "modificationTime", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ]);
    expect(audit.Properties.AttributeDefinitions).toContainEqual({ AttributeName: "modificationTime", AttributeType: "S" });
    expect(template.Outputs.AuditHistoryIndexName?.Value).toBe(AUDIT_HISTORY_INDEX);
  });

  it("audit_producer: packaging, environment, log group, alias learn", () => {
    const [fnId, fn] = checkFunction(template, "auditProducer");
    expect(fn.Properties.Environment.Variables.AUDIT_TABLE_NAME).toEqual(ref("AuditTable"));
    const [aliasId, alias] = onlyResource(template, "AWS::Lambda::Alias");
    expect(alias.Properties).toMatchObject({ Name: "learn", FunctionName: ref(fnId) });
    expect(aliasId).toBe("LearnAlias");
    expect(template.Outputs.AuditProducerAliasArn?.Value).toEqual({ "Fn::Sub": `\${${fnId}.Arn}:learn` });
  });

  it("the stream mapping: to the alias, partial batch responses, bisect, bounded retries and age, failures kept whole in S3", () => {
    const [, mapping] = onlyResource(template, "AWS::Lambda::EventSourceMapping");
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: getAtt("ConfigurationTable", "StreamArn"),
      FunctionName: ref("LearnAlias"),
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}" } } },
    });
    expect(mapping.Properties.MaximumRetryAttempts).toBeGreaterThanOrEqual(1);
    expect(mapping.Properties.MaximumRetryAttempts).toBeLessThanOrEqual(10);
    expect(mapping.Properties.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(mapping.Properties.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(86400);
    // Left out only when StreamTriggers is "false" (the built-in local environment); on by default.
    expect(mapping.Condition).toBe("CreateStreamTrigger");
    expect(template.Conditions.CreateStreamTrigger).toEqual({ "Fn::Equals": [ref("StreamTriggers"), "true"] });
    expect(template.Parameters.StreamTriggers.Default).toBe("true");
  });

  it("the role may only read the Configuration stream and put into Audit (plus its failure objects, key and logs)", () => {
    const [, fn] = onlyResource(template, "AWS::Lambda::Function");
    const role = functionRole(template, fn);
    const dynamodb = actionsFor(role, "dynamodb");
    for (const { action, resources } of dynamodb) {
      if (action === "dynamodb:PutItem") expect(resources).toEqual([getAtt("AuditTable", "Arn")]);
      // ListStreams takes no resource (IAM reference), so it is granted on "*" and nothing else is.
      else if (action === "dynamodb:ListStreams") expect(resources).toEqual(["*"]);
      else {
        expect(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]).toContain(action);
        expect(resources).toEqual([{ "Fn::Sub": "${ConfigurationTable.Arn}/stream/*" }]);
      }
    }
    expect(dynamodb.map((a) => a.action)).toContain("dynamodb:PutItem");
    expect(actionsFor(role, "sqs")).toEqual([]);
    expect(actionsFor(role, "s3")).toEqual([
      { action: "s3:PutObject", resources: [{ "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}/aws/lambda/*" }] },
      { action: "s3:ListBucket", resources: [{ "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}" }] },
    ]);
    // The tables' and stream's key (UseTableKey, docs/deploy.md) and the failed batches' SSE-KMS puts.
    for (const { resources } of actionsFor(role, "kms")) expect(resources).toEqual([ref("DataKeyArn")]);
    expect([...new Set(actionsFor(role, "kms").map((a) => a.action))].sort()).toEqual([
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]);
    checkLogsOnlyToOwnGroup(template, role);
  });

  it("alarms: errors, iterator age, a failed record, a failed batch not kept", () => {
    expect(alarmOn(template, "AWS/Lambda", "IteratorAge", ref("AuditProducerFunction"))).toBeDefined();
    expect(alarmOn(template, "AWS/Lambda", "DestinationDeliveryFailures", ref("AuditProducerFunction"))).toBeDefined();
    // A failed record: audit_producer's own metric (EMF), which dashboard.test.ts checks exists.
    const [, alarm] =
      resourcesOfType(template, "AWS::CloudWatch::Alarm").find(([, a]) => a.Properties.MetricName === "AuditRecordsFailed") ?? [];
    expect(alarm?.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
    expect(resourcesOfType(template, "AWS::SQS::Queue")).toEqual([]);
  });
});

describe("archive", () => {
  const template = templates.archive;

  it("one pipe per seed table, each behind its switch", () => {
    expect(Object.keys(archivePipes(template)).sort()).toEqual(["ConfigurationStreamArn", "TrazabilidadStreamArn"]);
    checkArchivePipe(template, "TrazabilidadStreamArn", "ArchivesTrazabilidad");
    checkArchivePipe(template, "ConfigurationStreamArn", "ArchivesConfiguration");
    expect(template.Conditions.ArchivesTrazabilidad).toEqual({ "Fn::Equals": [ref("ArchiveTrazabilidad"), "true"] });
    expect(template.Conditions.ArchivesConfiguration).toEqual({ "Fn::Equals": [ref("ArchiveConfiguration"), "true"] });
  });

  it("a custom bus and a rule matching exactly eventName REMOVE from trace.archive", () => {
    onlyResource(template, "AWS::Events::EventBus");
    checkArchiveRule(template);
    expect(ARCHIVE_EVENT_PATTERN).toEqual({ source: ["trace.archive"], detail: { eventName: ["REMOVE"] } });
    const [, permission] = onlyResource(template, "AWS::Lambda::Permission");
    expect(permission.Properties).toEqual({
      FunctionName: { "Fn::Sub": "${ArchiverFunction.Arn}:live" },
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      SourceArn: getAtt("ArchiveRule", "Arn"),
    });
  });

  it("the archiver: packaging, environment, log group", () => {
    const [, fn] = checkFunction(template, "archiver");
    expect(fn.Properties.Environment.Variables).toMatchObject({
      BUCKET_NAME: ref("DataBucketName"),
      KMS_KEY_ARN: ref("DataKeyArn"),
      RETENTION_DAYS: ref("RetentionDays"),
    });
  });

  it("the archiver's role may put only under archive/, read claim checks, read archived key schemas, use the key, dead-letter, write its logs", () => {
    const [, fn] = checkFunction(template, "archiver");
    const role = functionRole(template, fn);
    expect(actionsFor(role, "s3")).toEqual([
      { action: "s3:PutObject", resources: [{ "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}/archive/*" }] },
      { action: "s3:GetObject", resources: [{ "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}/archive-claims/*" }] },
    ]);
    expect(
      actionsFor(role, "kms")
        .map((a) => a.action)
        .sort(),
    ).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    for (const { resources } of actionsFor(role, "kms")) expect(resources).toEqual([ref("DataKeyArn")]);
    expect(actionsFor(role, "sqs")).toEqual([{ action: "sqs:SendMessage", resources: [getAtt("ArchiveDeadLetterQueue", "Arn")] }]);
    expect(actionsFor(role, "dynamodb")).toEqual([
      {
        action: "dynamodb:DescribeTable",
        resources: [
          { "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Prefix}TRAZABILIDAD" },
          { "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Prefix}Configuration" },
        ],
      },
    ]);
    checkLogsOnlyToOwnGroup(template, role);
  });

  it("the pipe has its own role: read the two streams, invoke its enrichment, put on the bus, dead-letter", () => {
    const roles = resourcesOfType(template, "AWS::IAM::Role");
    expect(roles.map(([id]) => id).sort()).toEqual(["ArchiverRole", "ClaimCheckRole", "PipeRole", "RedriveRole"]);
    for (const pipe of Object.values(archivePipes(template))) expect(pipe.Properties.RoleArn).toEqual(getAtt("PipeRole", "Arn"));
    const role = template.Resources.PipeRole as never;
    expect(actionsFor(role, "events")).toEqual([{ action: "events:PutEvents", resources: [getAtt("ArchiveBus", "Arn")] }]);
    for (const { action, resources } of actionsFor(role, "dynamodb"))
      expect(resources).toEqual(action === "dynamodb:ListStreams" ? ["*"] : [ref("TrazabilidadStreamArn"), ref("ConfigurationStreamArn")]);
    expect(actionsFor(role, "s3")).toEqual([]);
    expect(actionsFor(role, "lambda")).toEqual([
      { action: "lambda:InvokeFunction", resources: [{ "Fn::Sub": `\${ClaimCheckFunction.Arn}:live` }] },
    ]);
    expect(actionsFor(role, "sqs")).toEqual([{ action: "sqs:SendMessage", resources: [getAtt("PipeDeadLetterQueue", "Arn")] }]);
  });

  it("archive_claims: packaging, environment, log group; puts only claim checks", () => {
    const [, fn] = checkFunction(template, "archiveClaims");
    expect(fn.Properties.Environment.Variables).toMatchObject({ BUCKET_NAME: ref("DataBucketName"), KMS_KEY_ARN: ref("DataKeyArn") });
    const role = functionRole(template, fn);
    expect(actionsFor(role, "s3")).toEqual([
      { action: "s3:PutObject", resources: [{ "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}/archive-claims/*" }] },
    ]);
    expect(actionsFor(role, "kms")).toEqual([{ action: "kms:GenerateDataKey", resources: [ref("DataKeyArn")] }]);
    checkLogsOnlyToOwnGroup(template, role);
  });

  it("archive_redrive: packaging, environment, log group; consumes the pipes' DLQ, reads the streams, archives, parks", () => {
    const [, fn] = checkFunction(template, "archiveRedrive");
    expect(fn.Properties.Environment.Variables).toMatchObject({
      BUCKET_NAME: ref("DataBucketName"),
      KMS_KEY_ARN: ref("DataKeyArn"),
      PARKING_QUEUE_URL: ref("ArchiveDeadLetterQueue"),
    });
    const role = functionRole(template, fn);
    expect(actionsFor(role, "sqs")).toEqual([
      { action: "sqs:ReceiveMessage", resources: [getAtt("PipeDeadLetterQueue", "Arn")] },
      { action: "sqs:DeleteMessage", resources: [getAtt("PipeDeadLetterQueue", "Arn")] },
      { action: "sqs:GetQueueAttributes", resources: [getAtt("PipeDeadLetterQueue", "Arn")] },
      { action: "sqs:SendMessage", resources: [getAtt("ArchiveDeadLetterQueue", "Arn")] },
    ]);
    expect(actionsFor(role, "s3")).toEqual([
      { action: "s3:PutObject", resources: [{ "Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketName}/archive/*" }] },
    ]);
    checkLogsOnlyToOwnGroup(template, role);
    const [, mapping] = onlyResource(template, "AWS::Lambda::EventSourceMapping");
    expect(mapping.Properties).toEqual({
      EventSourceArn: getAtt("PipeDeadLetterQueue", "Arn"),
      FunctionName: ref("RedriveAlias"),
      BatchSize: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    // Left out only in the built-in local environment (StreamTriggers "false"), as audit's mapping.
    expect(mapping.Condition).toBe("CreateQueueTrigger");
    expect(template.Conditions.CreateQueueTrigger).toEqual({ "Fn::Equals": [ref("StreamTriggers"), "true"] });
  });

  it("the dead-letter queues: 14 days, KMS, alarms; the rule may write to the archive's, nothing else from outside", () => {
    checkDeadLetterQueues(template, ["ArchiveDeadLetterQueue"]);
    expect(alarmOn(template, "AWS/SQS", "NumberOfMessagesSent", getAtt("PipeDeadLetterQueue", "QueueName"))).toBeDefined();
    const [, policy] = onlyResource(template, "AWS::SQS::QueuePolicy");
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Condition: { ArnEquals: { "aws:SourceArn": getAtt("ArchiveRule", "Arn") } },
      }),
    ]);
  });

  it("alarms on each pipe's failures, the archiver's errors and the rule's failed invocations", () => {
    for (const [pipeId, condition] of [
      ["TrazabilidadArchivePipe", "ArchivesTrazabilidad"],
      ["ConfigurationArchivePipe", "ArchivesConfiguration"],
    ] as const) {
      const alarm = alarmOn(template, "AWS/EventBridge/Pipes", "ExecutionFailed", ref(pipeId));
      expect(alarm, pipeId).toBeDefined();
      expect(alarm?.Condition).toBe(condition);
    }
    expect(
      alarmOn(template, "AWS/Events", "FailedInvocations", { "Fn::Select": [1, { "Fn::Split": ["|", ref("ArchiveRule")] }] }),
    ).toBeDefined();
  });
});
