/**
 * Forecast checks on names: a table, bucket or log group the templates name that already exists
 * outside its stack (CloudFormation fails to create it, late, after other resources were made),
 * and point-in-time recovery on the archived tables.
 */
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeContinuousBackupsCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { awsCli } from "../aws/cli-hint";
import { physicalName } from "../config";
import { couldNotCheck, type ForecastCheck, type ForecastContext, type ForecastStack } from "./forecast-checks";
import { evaluate, type Json, resourceIncluded } from "./template-values";
import { errorName, httpStatus } from "./unavailable";

interface NamedResource {
  stack: ForecastStack;
  logicalId: string;
  type: string;
  /** The physical name, or undefined when CloudFormation generates it (or it cannot be known yet). */
  name: string | undefined;
}

const NAME_PROPERTY: Record<string, string> = {
  "AWS::DynamoDB::Table": "TableName",
  "AWS::S3::Bucket": "BucketName",
  "AWS::Logs::LogGroup": "LogGroupName",
};

function namedResources(context: ForecastContext, type: string): NamedResource[] {
  const property = NAME_PROPERTY[type] as string;
  return context.stacks.flatMap((stack) =>
    Object.entries(stack.document.Resources ?? {})
      .filter(([id, r]) => r?.Type === type && resourceIncluded(stack.document, id, stack.evaluation))
      .map(([logicalId, r]) => {
        const raw = r?.Properties?.[property];
        const value = raw === undefined ? undefined : evaluate(stack.document, raw as Json, stack.evaluation);
        return { stack, logicalId, type, name: typeof value === "string" ? value : undefined };
      }),
  );
}

/** Whether the resource already belongs to its stack (a redeploy), so existing is expected. */
async function ownedByStack(context: ForecastContext, resource: NamedResource, name: string): Promise<boolean> {
  const stack = resource.stack.existing;
  return stack ? (await context.owned(stack)).has(name) : false;
}

/** A retained resource of a stack that is not deployed (left by `trace destroy`): deploy imports it on AWS. */
const retainedOutside = (resource: NamedResource) =>
  !resource.stack.existing && resource.stack.document.Resources?.[resource.logicalId]?.DeletionPolicy === "Retain";

/** On AWS, a retained resource is imported by the deploy (retained.ts); the emulator cannot import. */
function imported(
  context: ForecastContext,
  resource: NamedResource,
  name: string,
  kind: string,
  deleteCommand: string,
): ForecastCheck | undefined {
  if (!retainedOutside(resource)) return undefined;
  if (context.env.endpointUrl) {
    const check = taken(resource, name, kind, deleteCommand);
    return { ...check, detail: `${check.detail}; on AWS \`trace deploy\` would import it, the emulator's CloudFormation cannot` };
  }
  return {
    check: "existing-name",
    subject: `${kind} ${name}`,
    verdict: "warn",
    detail: `retained by \`trace destroy\`: \`trace deploy\` imports it into ${resource.stack.name} (${resource.logicalId}, a CloudFormation resource import), with its data`,
    fix: `nothing to do to keep it; to start empty instead, delete it first (its data goes with it): \`${deleteCommand}\``,
  };
}

const taken = (resource: NamedResource, name: string, kind: string, deleteCommand: string): ForecastCheck => ({
  check: resource.type === "AWS::Logs::LogGroup" ? "log-group" : "existing-name",
  subject: `${kind} ${name}`,
  verdict: "fail",
  detail: `already exists outside ${resource.stack.name} (${resource.logicalId}); CloudFormation cannot create it and the deploy would fail${
    kind === "log group"
      ? " (a function that ran before its log group existed creates one by itself)"
      : " (left behind by `trace destroy`, which retains data)"
  }`,
  fix: `import it into the stack (a CloudFormation IMPORT change set with --resources-to-import for ${resource.logicalId}), or, once its data is saved or no longer wanted, delete it: \`${deleteCommand}\``,
});

async function tableCheck(context: ForecastContext, resource: NamedResource): Promise<ForecastCheck> {
  const name = resource.name as string;
  const subject = `table ${name}`;
  try {
    await context.clients.dynamodb.send(new DescribeTableCommand({ TableName: name }), { abortSignal: context.signal });
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") {
      return { check: "existing-name", subject, verdict: "pass", detail: "does not exist yet; the deploy creates it" };
    }
    return couldNotCheck("existing-name", subject, error, "dynamodb:DescribeTable");
  }
  if (await ownedByStack(context, resource, name)) {
    return { check: "existing-name", subject, verdict: "pass", detail: `belongs to ${resource.stack.name}` };
  }
  const command = awsCli(context.env, `dynamodb delete-table --table-name ${name}`);
  return imported(context, resource, name, "table", command) ?? taken(resource, name, "table", command);
}

async function bucketCheck(context: ForecastContext, resource: NamedResource): Promise<ForecastCheck> {
  if (resource.name === undefined) {
    return {
      check: "existing-name",
      subject: `bucket ${resource.logicalId} (${resource.stack.name})`,
      verdict: "pass",
      detail: "its name is generated by CloudFormation: no clash possible",
    };
  }
  const name = resource.name;
  const subject = `bucket ${name}`;
  try {
    await context.clients.s3.send(new HeadBucketCommand({ Bucket: name }), { abortSignal: context.signal });
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404 || errorName(error) === "NotFound" || errorName(error) === "NoSuchBucket") {
      return { check: "existing-name", subject, verdict: "pass", detail: "does not exist yet; the deploy creates it" };
    }
    if (status === 403) {
      return {
        check: "existing-name",
        subject,
        verdict: "fail",
        detail: "the name is taken by a bucket this account cannot see (bucket names are global)",
        fix: "choose another bucket name in the template",
      };
    }
    return couldNotCheck("existing-name", subject, error, "s3:ListBucket");
  }
  if (await ownedByStack(context, resource, name)) {
    return { check: "existing-name", subject, verdict: "pass", detail: `belongs to ${resource.stack.name}` };
  }
  const command = awsCli(context.env, `s3 rb s3://${name} --force`);
  return imported(context, resource, name, "bucket", command) ?? taken(resource, name, "bucket", command);
}

async function logGroupCheck(context: ForecastContext, resource: NamedResource): Promise<ForecastCheck> {
  if (resource.name === undefined) {
    return {
      check: "log-group",
      subject: `log group ${resource.logicalId} (${resource.stack.name})`,
      verdict: "pass",
      detail: "its name is generated by CloudFormation: no clash possible",
    };
  }
  const name = resource.name;
  const subject = `log group ${name}`;
  let exists: boolean;
  try {
    const page = await context.clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 50 }), {
      abortSignal: context.signal,
    });
    exists = (page.logGroups ?? []).some((g) => g.logGroupName === name);
  } catch (error) {
    return couldNotCheck("log-group", subject, error, "logs:DescribeLogGroups");
  }
  if (!exists) return { check: "log-group", subject, verdict: "pass", detail: "does not exist yet; the deploy creates it" };
  if (await ownedByStack(context, resource, name)) {
    return { check: "log-group", subject, verdict: "pass", detail: `belongs to ${resource.stack.name}` };
  }
  return taken(resource, name, "log group", awsCli(context.env, `logs delete-log-group --log-group-name ${name}`));
}

/** Point-in-time recovery on each archived table that exists: off means a bad delete cannot be undone from backups. */
async function pitrCheck(context: ForecastContext, seedName: string): Promise<ForecastCheck> {
  const name = physicalName(context.env, seedName);
  const subject = `table ${name}`;
  let status: string | undefined;
  try {
    const result = await context.clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: name }), {
      abortSignal: context.signal,
    });
    status = result.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;
  } catch (error) {
    if (errorName(error) === "TableNotFoundException" || errorName(error) === "ResourceNotFoundException") {
      return {
        check: "point-in-time-recovery",
        subject,
        verdict: "pass",
        detail: "does not exist yet; the template creates it with PITR on",
      };
    }
    return couldNotCheck("point-in-time-recovery", subject, error, "dynamodb:DescribeContinuousBackups");
  }
  if (status === "ENABLED") return { check: "point-in-time-recovery", subject, verdict: "pass", detail: "point-in-time recovery is on" };
  return {
    check: "point-in-time-recovery",
    subject,
    verdict: "warn",
    detail: `point-in-time recovery is ${status ?? "unknown"} on an archived table (the template wants it on; a deploy does not turn it back on unless the template changes)`,
    fix: awsCli(
      context.env,
      `dynamodb update-continuous-backups --table-name ${name} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true`,
    ),
  };
}

/** Tables, buckets and log groups by name, then PITR on the archived tables. */
export async function nameChecks(context: ForecastContext): Promise<ForecastCheck[]> {
  const tables = namedResources(context, "AWS::DynamoDB::Table").filter((r) => r.name !== undefined);
  const buckets = namedResources(context, "AWS::S3::Bucket");
  const logGroups = namedResources(context, "AWS::Logs::LogGroup");
  return Promise.all([
    ...tables.map((r) => tableCheck(context, r)),
    ...buckets.map((r) => bucketCheck(context, r)),
    ...logGroups.map((r) => logGroupCheck(context, r)),
    ...context.env.archivedTables.map((t) => pitrCheck(context, t)),
  ]);
}
