/**
 * Forecast checks on the account: Lambda concurrency left for a reserved-concurrency function, the
 * artifact bucket (there, and in the deploy's region), the data key (usable), and the IAM
 * permissions boundary (exists).
 */
import { GetPolicyCommand } from "@aws-sdk/client-iam";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand } from "@aws-sdk/client-lambda";
import { GetBucketEncryptionCommand, GetBucketLocationCommand } from "@aws-sdk/client-s3";
import { awsCli } from "../aws/cli-hint";
import { couldNotCheck, type ForecastCheck, type ForecastContext } from "./forecast-checks";
import { outputsOf } from "./stack-state";
import { evaluate, type Json, resourceIncluded } from "./template-values";
import { errorName, httpStatus } from "./unavailable";

/**
 * Lambda keeps at least this many executions unreserved for the functions without a reservation
 * (PutFunctionConcurrency, Lambda API Reference: "as long as you leave at least 100 simultaneous
 * executions unreserved"). New accounts often start with a quota of 10, so any reservation fails.
 */
export const MIN_UNRESERVED = 100;

/**
 * The reservations the deploy adds, all together: a function that exists already reserving what
 * the template asks counts for nothing; the others need `wanted` less what they hold now.
 */
async function reservationsToAdd(
  context: ForecastContext,
  functions: readonly { name: string; wanted: number }[],
): Promise<number | ForecastCheck> {
  let needed = 0;
  for (const { name, wanted } of functions) {
    try {
      const current = await context.clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }), {
        abortSignal: context.signal,
      });
      needed += Math.max(0, wanted - (current.ReservedConcurrentExecutions ?? 0));
    } catch (error) {
      if (errorName(error) !== "ResourceNotFoundException")
        return couldNotCheck("lambda-concurrency", `function ${name}`, error, "lambda:GetFunctionConcurrency");
      needed += wanted;
    }
  }
  return needed;
}

async function concurrencyCheck(context: ForecastContext, functions: readonly { name: string; wanted: number }[]): Promise<ForecastCheck> {
  const subject = `${functions.length === 1 ? "function" : "functions"} ${functions.map((f) => f.name).join(", ")}`;
  const check = "lambda-concurrency" as const;
  const wanted = await reservationsToAdd(context, functions);
  if (typeof wanted !== "number") return wanted;
  if (wanted === 0) {
    return { check, subject, verdict: "pass", detail: `already reserved (${functions.map((f) => `${f.name}: ${f.wanted}`).join(", ")})` };
  }
  let unreserved: number | undefined;
  let quota: number | undefined;
  try {
    const settings = await context.clients.lambda.send(new GetAccountSettingsCommand({}), { abortSignal: context.signal });
    unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions;
    quota = settings.AccountLimit?.ConcurrentExecutions;
  } catch (error) {
    return couldNotCheck(check, subject, error, "lambda:GetAccountSettings");
  }
  if (unreserved === undefined)
    return { check, subject, verdict: "warn", detail: "GetAccountSettings gave no UnreservedConcurrentExecutions" };
  const left = unreserved - wanted;
  if (left >= MIN_UNRESERVED) {
    return {
      check,
      subject,
      verdict: "pass",
      detail: `reserving ${wanted} leaves ${left} of ${unreserved} unreserved executions (≥ ${MIN_UNRESERVED})`,
    };
  }
  const needed = (quota ?? unreserved) + (MIN_UNRESERVED - left);
  return {
    check,
    subject,
    verdict: "fail",
    detail: `reserved concurrency ${wanted} would leave ${left} unreserved executions (account quota ${quota ?? "unknown"}, unreserved ${unreserved}); Lambda keeps at least ${MIN_UNRESERVED}, so creating the functions fails`,
    fix: `raise the account's Lambda "Concurrent executions" quota (Service Quotas, code L-B99A9384) to at least ${needed}, or lower other functions' reserved concurrency`,
  };
}

/** Every function of the deployed stacks that reserves concurrency, with its name and reservation. */
function reservingFunctions(context: ForecastContext): { name: string; wanted: number }[] {
  return context.stacks.flatMap((stack) =>
    Object.entries(stack.document.Resources ?? {})
      .filter(([id, r]) => r?.Type === "AWS::Lambda::Function" && resourceIncluded(stack.document, id, stack.evaluation))
      .flatMap(([, r]) => {
        const reserved = r?.Properties?.ReservedConcurrentExecutions;
        const name = r?.Properties?.FunctionName;
        if (reserved === undefined || name === undefined) return [];
        const wanted = Number(evaluate(stack.document, reserved as Json, stack.evaluation));
        const resolved = evaluate(stack.document, name as Json, stack.evaluation);
        return typeof resolved === "string" && Number.isFinite(wanted) && wanted > 0 ? [{ name: resolved, wanted }] : [];
      }),
  );
}

/** S3's answer for us-east-1 is empty, and "EU" is the old name of eu-west-1. */
export const bucketRegion = (constraint: string | undefined | null): string =>
  !constraint ? "us-east-1" : constraint === "EU" ? "eu-west-1" : constraint;

async function artifactBucketCheck(context: ForecastContext): Promise<ForecastCheck> {
  const check = "artifact-bucket" as const;
  const bootstrap = context.deployed.bootstrap;
  if (!bootstrap) {
    return { check, subject: "artifact bucket", verdict: "pass", detail: "trace-bootstrap is not deployed; the deploy creates it first" };
  }
  const bucket = outputsOf(bootstrap).ArtifactBucketName;
  if (!bucket) {
    return {
      check,
      subject: "artifact bucket",
      verdict: "fail",
      detail: `${bootstrap.StackName} has no ArtifactBucketName output`,
      fix: `deploy the bootstrap stack again (\`trace deploy bootstrap\`)`,
    };
  }
  const subject = `artifact bucket ${bucket}`;
  let region: string;
  try {
    const location = await context.clients.s3.send(new GetBucketLocationCommand({ Bucket: bucket }), { abortSignal: context.signal });
    region = bucketRegion(location.LocationConstraint);
  } catch (error) {
    if (httpStatus(error) === 404 || errorName(error) === "NoSuchBucket") {
      return {
        check,
        subject,
        verdict: "fail",
        detail: `named by ${bootstrap.StackName} but it does not exist (deleted by hand?); Lambda code cannot be uploaded`,
        fix: `delete the stale bootstrap stack (\`trace destroy bootstrap\`), then deploy: trace creates it again with a new bucket`,
      };
    }
    return couldNotCheck(check, subject, error, "s3:GetBucketLocation");
  }
  if (region !== context.env.region) {
    return {
      check,
      subject,
      verdict: "fail",
      detail: `is in ${region}, the deploy goes to ${context.env.region}: Lambda reads its code only from a bucket in the function's region`,
      fix: `deploy to ${region} (--region ${region}), or replace ${bootstrap.StackName} in ${context.env.region} so its bucket is created there`,
    };
  }
  return { check, subject, verdict: "pass", detail: `exists, in ${region}` };
}

/**
 * The data key of a base stack not deployed: the one a retained data bucket (left by `trace
 * destroy`) is encrypted with, which the deploy imports with the bucket (retained.ts).
 */
async function retainedKey(context: ForecastContext): Promise<string | undefined> {
  const base = context.stacks.find((s) => s.id === "base");
  const raw = base?.document.Resources?.DataBucket?.Properties?.BucketName as Json | undefined;
  const bucket = base && raw !== undefined ? evaluate(base.document, raw, base.evaluation) : undefined;
  if (typeof bucket !== "string") return undefined;
  try {
    const { ServerSideEncryptionConfiguration } = await context.clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }), {
      abortSignal: context.signal,
    });
    return ServerSideEncryptionConfiguration?.Rules?.find((r) => r.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID)
      ?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
  } catch {
    return undefined; // no such bucket (a first deploy): the deploy creates bucket and key
  }
}

async function keyCheck(context: ForecastContext): Promise<ForecastCheck> {
  const check = "kms-key" as const;
  const base = context.deployed.base;
  const key = base ? outputsOf(base).DataKeyArn : await retainedKey(context);
  if (!key) return { check, subject: "data key", verdict: "pass", detail: "the base stack is not deployed; the deploy creates the key" };
  const subject = base ? `KMS key ${key}` : `KMS key ${key} (retained with the data bucket; the deploy imports it)`;
  let state: string | undefined;
  let deletion: Date | undefined;
  try {
    const described = await context.clients.kms.send(new DescribeKeyCommand({ KeyId: key }), { abortSignal: context.signal });
    state = described.KeyMetadata?.KeyState;
    deletion = described.KeyMetadata?.DeletionDate;
  } catch (error) {
    if (errorName(error) === "NotFoundException") {
      return {
        check,
        subject,
        verdict: "fail",
        detail: "named by the base stack but does not exist",
        fix: "restore the base stack's key or redeploy base",
      };
    }
    return couldNotCheck(check, subject, error, "kms:DescribeKey");
  }
  if (state === "Enabled") return { check, subject, verdict: "pass", detail: "enabled" };
  if (state === "PendingDeletion") {
    return {
      check,
      subject,
      verdict: "fail",
      detail: `is scheduled for deletion${deletion ? ` on ${deletion.toISOString().slice(0, 10)}` : ""}: tables, bucket, queues and logs encrypted with it fail, and its data becomes unreadable once it is deleted`,
      fix: `${awsCli(context.env, `kms cancel-key-deletion --key-id ${key}`)} && ${awsCli(context.env, `kms enable-key --key-id ${key}`)}`,
    };
  }
  return {
    check,
    subject,
    verdict: "fail",
    detail: `is ${state ?? "in an unknown state"}: nothing can encrypt or decrypt with it`,
    fix:
      state === "Disabled"
        ? awsCli(context.env, `kms enable-key --key-id ${key}`)
        : "make the key usable again (see its state in the KMS console)",
  };
}

async function boundaryCheck(context: ForecastContext): Promise<ForecastCheck> {
  const check = "permissions-boundary" as const;
  const arn = context.env.permissionsBoundaryArn;
  if (!arn) return { check, subject: "permissions boundary", verdict: "skip", detail: "no permissionsBoundaryArn in the environment" };
  const subject = `policy ${arn}`;
  try {
    await context.clients.iam.send(new GetPolicyCommand({ PolicyArn: arn }), { abortSignal: context.signal });
    return { check, subject, verdict: "pass", detail: "exists" };
  } catch (error) {
    if (errorName(error) === "NoSuchEntityException" || errorName(error) === "NoSuchEntity") {
      return {
        check,
        subject,
        verdict: "fail",
        detail: "does not exist: every role with it as permissions boundary fails to be created",
        fix: `create the policy, or correct permissionsBoundaryArn of environment "${context.env.name}" (${context.env.source})`,
      };
    }
    return couldNotCheck(check, subject, error, "iam:GetPolicy");
  }
}

/** Concurrency for the reserving functions together, then the artifact bucket, the key and the boundary. */
export async function accountChecks(context: ForecastContext): Promise<ForecastCheck[]> {
  const reserving = reservingFunctions(context);
  return Promise.all([
    ...(reserving.length > 0 ? [concurrencyCheck(context, reserving)] : []),
    artifactBucketCheck(context),
    keyCheck(context),
    boundaryCheck(context),
  ]);
}
