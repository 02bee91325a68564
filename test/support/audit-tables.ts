// Creates the audit stack's two tables in the emulator, with the names and keys of the contract
// (for the integration tests and the benchmark).

import { randomBytes } from "node:crypto";
import { CreateTableCommand, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { fromAuditItem } from "../../src/core/audit/entries";
import { createStreamTable, stringKey } from "./fixtures";

// Not test/support/emulator.ts uniqueName: that imports vitest, and the benchmark uses this file too.
const uniqueName = (base: string) => `${base}-${randomBytes(4).toString("hex")}`;

export const HISTORY_INDEX = "itemKey-modificationTime-index";

export interface AuditFixture {
  configurationTable: string;
  streamArn: string;
  auditTable: string;
}

export async function createAuditTables(dynamodb: DynamoDBClient): Promise<AuditFixture> {
  const configurationTable = uniqueName("Configuration");
  const auditTable = uniqueName("Audit");
  const streamArn = await createStreamTable(dynamodb, { TableName: configurationTable, ...stringKey("key") });
  await dynamodb.send(
    new CreateTableCommand({
      TableName: auditTable,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "id", AttributeType: "S" },
        { AttributeName: "itemKey", AttributeType: "S" },
        { AttributeName: "modificationTime", AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: HISTORY_INDEX,
          KeySchema: [
            { AttributeName: "itemKey", KeyType: "HASH" },
            { AttributeName: "modificationTime", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
  return { configurationTable, streamArn, auditTable };
}

/** Every entry in the Audit table (a Scan: tests only). */
export async function scanAudit(dynamodb: DynamoDBClient, auditTable: string) {
  const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName: auditTable }));
  return Items;
}

export { fromAuditItem };
