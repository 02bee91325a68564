/**
 * Which key attribute is the partition key and which the sort key. A stream record's `Keys` is
 * a JSON object whose order DynamoDB does not promise, so the archiver asks the table
 * (DescribeTable, cached per table for the life of the process: one call per cold start per
 * table with a sort key; tables with only a partition key need no call at all).
 */
import { DescribeTableCommand, DescribeTimeToLiveCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { toTraceError } from "../errors";

export interface KeySchema {
  partitionKey: { name: string; type: string };
  sortKey?: { name: string; type: string } | undefined;
}

export type DynamoDbPort = Pick<DynamoDBClient, "send">;

/** Reads a table's key schema (names and declared types). */
export async function describeKeySchema(dynamodb: DynamoDbPort, table: string, signal?: AbortSignal): Promise<KeySchema> {
  try {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal });
    const typeOf = (name: string) => Table?.AttributeDefinitions?.find((d) => d.AttributeName === name)?.AttributeType ?? "S";
    const hash = Table?.KeySchema?.find((k) => k.KeyType === "HASH")?.AttributeName;
    const range = Table?.KeySchema?.find((k) => k.KeyType === "RANGE")?.AttributeName;
    if (!hash) throw new Error(`table ${table} has no partition key in its description`);
    return {
      partitionKey: { name: hash, type: typeOf(hash) },
      ...(range ? { sortKey: { name: range, type: typeOf(range) } } : {}),
    };
  } catch (error) {
    throw toTraceError(error, `table "${table}"`);
  }
}

/** The table's TTL attribute when TTL is enabled (or being enabled); undefined otherwise. */
export async function describeTtlAttribute(dynamodb: DynamoDbPort, table: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const { TimeToLiveDescription: d } = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }), { abortSignal: signal });
    return d?.TimeToLiveStatus === "ENABLED" || d?.TimeToLiveStatus === "ENABLING" ? d.AttributeName : undefined;
  } catch (error) {
    throw toTraceError(error, `table "${table}"`);
  }
}

/** A per-process cache of key schemas, for the archiver's warm invocations. */
export function keySchemaCache(dynamodb: DynamoDbPort): (table: string) => Promise<KeySchema> {
  const cache = new Map<string, Promise<KeySchema>>();
  return (table) => {
    let schema = cache.get(table);
    if (!schema) {
      schema = describeKeySchema(dynamodb, table);
      // A failed lookup must not stick: the next event tries again.
      schema.catch(() => cache.delete(table));
      cache.set(table, schema);
    }
    return schema;
  };
}
