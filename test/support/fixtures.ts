// Emulator fixtures as the stacks make them, for tests and benchmarks (no vitest import: benches run in plain Node).
import { CreateTableCommand, type CreateTableCommandInput, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { AwsClients } from "../../src/core/aws/clients";

/** An on-demand table with a NEW_AND_OLD_IMAGES stream, as the stacks make them; returns the stream ARN. */
export async function createStreamTable(
  dynamodb: Pick<DynamoDBClient, "send">,
  input: Omit<CreateTableCommandInput, "StreamSpecification" | "BillingMode">,
): Promise<string> {
  const created = await dynamodb.send(
    new CreateTableCommand({
      ...input,
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  return created.TableDescription?.LatestStreamArn ?? "";
}

/** The key schema of a table keyed by one string attribute (`id` for TRAZABILIDAD, `key` for Configuration). */
export const stringKey = (name: string) =>
  ({
    AttributeDefinitions: [{ AttributeName: name, AttributeType: "S" }],
    KeySchema: [{ AttributeName: name, KeyType: "HASH" }],
  }) as const satisfies Pick<CreateTableCommandInput, "AttributeDefinitions" | "KeySchema">;

/** TRAZABILIDAD's key schema and day index as cloudformation/traceability.yaml makes them with DayIndex true. */
export const dayIndexedTrazabilidad = () =>
  ({
    AttributeDefinitions: [
      { AttributeName: "id", AttributeType: "S" },
      { AttributeName: "dia", AttributeType: "S" },
    ],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    GlobalSecondaryIndexes: [
      { IndexName: "dia-index", KeySchema: [{ AttributeName: "dia", KeyType: "HASH" }], Projection: { ProjectionType: "ALL" } },
    ],
  }) as const satisfies Pick<CreateTableCommandInput, "AttributeDefinitions" | "KeySchema" | "GlobalSecondaryIndexes">;

/** A customer-managed key in the emulator, for SSE-KMS on the archive objects. */
export async function createKmsKey(clients: Pick<AwsClients, "settings">): Promise<string> {
  const kms = new KMSClient({ region: "us-east-1", endpoint: clients.settings.endpointUrl, credentials: clients.settings.credentials });
  try {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: "trace archive test" }));
    return KeyMetadata?.Arn ?? "";
  } finally {
    kms.destroy();
  }
}
