/**
 * Template settings the emulator ignores, applied after a local deploy through the service's own
 * API so the emulator holds what the template says. moto 5.2.5 creates an `AWS::DynamoDB::Table`
 * from CloudFormation without its `PointInTimeRecoverySpecification` (point-in-time recovery stays
 * off), while its UpdateContinuousBackups works: without this, deploy's forecast warns about PITR
 * nobody can fix from the template, and `export --engine native` (DynamoDB's export needs PITR)
 * refuses every local table. Only used against the local emulator.
 */
import { DescribeStackResourceCommand } from "@aws-sdk/client-cloudformation";
import { UpdateContinuousBackupsCommand } from "@aws-sdk/client-dynamodb";
import { parse as parseYaml } from "yaml";
import type { AwsClients } from "../core/aws/clients";
import type { StackResult } from "../core/deploy/deploy-types";
import { readTemplate } from "../core/deploy/templates";

type Resources = Record<
  string,
  { Type?: string; Properties?: { PointInTimeRecoverySpecification?: { PointInTimeRecoveryEnabled?: unknown } } }
>;

/** Turns point-in-time recovery on for each table of the deployed stacks whose template asks for it; returns the tables. */
export async function applyIgnoredTableSettings(
  clients: Pick<AwsClients, "cloudformation" | "dynamodb">,
  templatesDir: string,
  stacks: readonly Pick<StackResult, "stack" | "stackName">[],
): Promise<string[]> {
  const tables: string[] = [];
  for (const { stack, stackName } of stacks) {
    const raw = (parseYaml(readTemplate(templatesDir, stack).body, { logLevel: "silent", uniqueKeys: false }) ?? {}) as {
      Resources?: Resources;
    };
    for (const [logicalId, resource] of Object.entries(raw.Resources ?? {})) {
      if (resource?.Type !== "AWS::DynamoDB::Table") continue;
      if (resource.Properties?.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled !== true) continue;
      const { StackResourceDetail } = await clients.cloudformation.send(
        new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId }),
      );
      const table = StackResourceDetail?.PhysicalResourceId;
      if (!table) continue;
      await clients.dynamodb.send(
        new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      );
      tables.push(table);
    }
  }
  return tables;
}
