/**
 * The table a drill restores: its physical name (a seed name is looked up in the stacks'
 * outputs), ARN, key schema and TTL attribute.
 */

import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DescribeTableCommand, DescribeTimeToLiveCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ErrorCode, TraceError, toTraceError } from "../errors";
import { resolveOutputs } from "../resources";
import type { KeyShape } from "./compare";
import { keyNames } from "./items";

/** The seed tables and the stack outputs that name them. */
const SEED_OUTPUTS = {
  TRAZABILIDAD: "TrazabilidadTableName",
  Configuration: "ConfigurationTableName",
  Audit: "AuditTableName",
} as const;
type Seed = keyof typeof SEED_OUTPUTS;

export interface SourceTable {
  table: string;
  /** The seed table it is (TRAZABILIDAD, Configuration, Audit), when it is one. */
  seed: Seed | undefined;
  arn: string;
  keys: KeyShape;
  /** The TTL attribute when TTL is ENABLED. */
  ttlAttribute: string | undefined;
}

const isSeed = (name: string): name is Seed => name in SEED_OUTPUTS;

/** The physical name and seed of the table named (default TRAZABILIDAD). */
async function tableName(
  cloudformation: CloudFormationClient,
  env: { stage: string; prefix: string },
  given: string | undefined,
): Promise<{ table: string; seed: Seed | undefined }> {
  const name = given ?? "TRAZABILIDAD";
  if (isSeed(name)) {
    const output = SEED_OUTPUTS[name];
    const outputs = await resolveOutputs(cloudformation, env, [output]);
    return { table: outputs[output], seed: name };
  }
  const bare = env.prefix && name.startsWith(env.prefix) ? name.slice(env.prefix.length) : undefined;
  return { table: name, seed: bare !== undefined && isSeed(bare) ? bare : undefined };
}

/** Describes the source table: name, ARN, keys (with their types) and TTL attribute. */
export async function describeSource(
  clients: { dynamodb: Pick<DynamoDBClient, "send">; cloudformation: CloudFormationClient },
  env: { stage: string; prefix: string },
  given: string | undefined,
  signal: AbortSignal,
): Promise<SourceTable> {
  const { table, seed } = await tableName(clients.cloudformation, env, given);
  try {
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal });
    if (!Table?.TableArn) throw new TraceError(ErrorCode.notFound, `table ${table} has no ARN in DescribeTable`);
    const names = keyNames(Table.KeySchema);
    const types = Object.fromEntries((Table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }), { abortSignal: signal });
    const spec = ttl.TimeToLiveDescription;
    return {
      table,
      seed,
      arn: Table.TableArn,
      keys: { names, schema: names.map((name) => ({ name, type: String(types[name] ?? "S") })) },
      ttlAttribute: spec?.TimeToLiveStatus === "ENABLED" ? spec.AttributeName : undefined,
    };
  } catch (error) {
    throw toTraceError(error, `table "${table}"`);
  }
}
