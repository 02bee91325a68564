/**
 * What the emulator leaves behind when it deletes a stack. moto's DeleteStack removes the stack but
 * few of its resources (measured on moto 5.2.5: tables, log groups, functions, queues, roles, the
 * state machine, the key's alias, the buckets and the event bus all stay), and the next deploy then
 * fails on the names still taken. In local mode `trace destroy` removes them after each stack, the
 * retained data too (the emulator's data is throwaway; on AWS the templates retain it and destroy
 * keeps it), so destroy → deploy → demo works. Only used against the local emulator.
 */

import { DeleteLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteEventBusCommand,
  DeleteRuleCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  RemoveTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { DeleteAliasCommand, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { DeleteFunctionCommand } from "@aws-sdk/client-lambda";
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { DeleteStateMachineCommand } from "@aws-sdk/client-sfn";
import { DeleteQueueCommand } from "@aws-sdk/client-sqs";
import type { AwsClients } from "../core/aws/clients";
import type { RetainedResource } from "../core/deploy/destroy";
import { toTraceError } from "../core/errors";
import type { Reporter } from "../core/reporter";

type Deleter = (clients: AwsClients, physicalId: string) => Promise<unknown>;

async function emptyAndDeleteBucket(clients: AwsClients, bucket: string): Promise<void> {
  for (;;) {
    const page = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
    if (objects.length === 0) break;
    await clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
  await clients.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

async function deleteRole(clients: AwsClients, role: string): Promise<void> {
  const inline = await clients.iam.send(new ListRolePoliciesCommand({ RoleName: role }));
  for (const name of inline.PolicyNames ?? []) await clients.iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: name }));
  const attached = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  for (const p of attached.AttachedPolicies ?? [])
    await clients.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: p.PolicyArn }));
  await clients.iam.send(new DeleteRoleCommand({ RoleName: role }));
}

async function deleteBus(clients: AwsClients, bus: string): Promise<void> {
  const { createEventsClient } = await import("../core/aws/more-clients");
  const events = createEventsClient(clients.settings);
  try {
    const rules = await events.send(new ListRulesCommand({ EventBusName: bus }));
    for (const rule of rules.Rules ?? []) {
      const targets = await events.send(new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: bus }));
      const ids = (targets.Targets ?? []).map((t) => t.Id as string);
      if (ids.length > 0) await events.send(new RemoveTargetsCommand({ Rule: rule.Name, EventBusName: bus, Ids: ids }));
      await events.send(new DeleteRuleCommand({ Name: rule.Name, EventBusName: bus }));
    }
    await events.send(new DeleteEventBusCommand({ Name: bus }));
  } finally {
    events.destroy();
  }
}

/** The types our templates hold that moto leaves behind, each with how to delete it by its physical id. */
const DELETERS: Record<string, Deleter> = {
  "AWS::Lambda::Function": (c, id) => c.lambda.send(new DeleteFunctionCommand({ FunctionName: id })),
  "AWS::StepFunctions::StateMachine": (c, id) => c.sfn.send(new DeleteStateMachineCommand({ stateMachineArn: id })),
  "AWS::Logs::LogGroup": (c, id) => c.logs.send(new DeleteLogGroupCommand({ logGroupName: id })),
  "AWS::SQS::Queue": (c, id) => c.sqs.send(new DeleteQueueCommand({ QueueUrl: id })),
  "AWS::IAM::Role": deleteRole,
  "AWS::Events::EventBus": deleteBus,
  "AWS::DynamoDB::Table": (c, id) => c.dynamodb.send(new DeleteTableCommand({ TableName: id })),
  "AWS::S3::Bucket": emptyAndDeleteBucket,
  "AWS::KMS::Alias": (c, id) => c.kms.send(new DeleteAliasCommand({ AliasName: id })),
  // KMS deletes a key after a waiting period of 7 to 30 days; until then it is PendingDeletion and
  // unusable, which frees nothing a deploy needs (the new stack makes a new key).
  "AWS::KMS::Key": (c, id) => c.kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 })),
};

const GONE = /not ?found|does ?not ?exist|NoSuch|NonExistent|pending ?deletion|KMSInvalidState/i;

/**
 * Deletes the given resources of a deleted stack from the emulator, in the order of DELETERS;
 * returns those it deleted (one already gone is skipped, a failure is a warning).
 */
export async function removeLeftovers(
  clients: AwsClients,
  resources: readonly RetainedResource[],
  reporter: Reporter,
): Promise<RetainedResource[]> {
  await clients.loadMore();
  const removed: RetainedResource[] = [];
  for (const [type, remove] of Object.entries(DELETERS)) {
    for (const resource of resources.filter((r) => r.type === type)) {
      try {
        await remove(clients, resource.physicalId);
        removed.push(resource);
      } catch (error) {
        const e = error as { name?: string; message?: string };
        reporter.debug(`removing ${type} ${resource.physicalId}: ${e.name} ${e.message}`);
        if (GONE.test(`${e.name} ${e.message}`)) continue;
        reporter.warn(`could not remove ${type} ${resource.physicalId} from the emulator: ${toTraceError(error).message}`);
      }
    }
  }
  return removed;
}
