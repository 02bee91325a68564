/**
 * Clients in another region than the environment's (the DR region), built the same way: the
 * environment's profile, endpoint and credentials, another region. AWS Backup's client is built
 * only when asked for (its SDK package is loaded by nothing else).
 */
import type { BackupClient } from "@aws-sdk/client-backup";
import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type AwsClients, type AwsSettings, createCloudFormationClient, createDynamoDbClient } from "./clients";

/** DynamoDB, CloudFormation and (on demand) AWS Backup in one region. */
export interface RegionClients {
  dynamodb: Pick<DynamoDBClient, "send">;
  cloudformation: CloudFormationClient;
  backup(): Promise<Pick<BackupClient, "send">>;
}

/**
 * A function giving the clients of a region: the environment's own clients for its region, new
 * ones (memoised) for any other. `destroy` closes the ones it made.
 */
export function regionalClients(home: Pick<AwsClients, "settings" | "dynamodb" | "cloudformation">): {
  of(region: string): Promise<RegionClients>;
  destroy(): void;
} {
  const made = new Map<string, RegionClients & { destroy(): void }>();
  const backups = new Map<string, BackupClient>();
  const backupIn = async (settings: AwsSettings) => {
    let client = backups.get(settings.region);
    if (!client) {
      const { createBackupClient } = await import("./backup-client");
      client = createBackupClient(settings);
      backups.set(settings.region, client);
    }
    return client;
  };
  return {
    async of(region) {
      const settings = { ...home.settings, region };
      if (region === home.settings.region)
        return { dynamodb: home.dynamodb, cloudformation: home.cloudformation, backup: () => backupIn(settings) };
      let clients = made.get(region);
      if (!clients) {
        const dynamodb = createDynamoDbClient(settings);
        const cloudformation = createCloudFormationClient(settings);
        clients = {
          dynamodb,
          cloudformation,
          backup: () => backupIn(settings),
          destroy: () => {
            dynamodb.destroy();
            cloudformation.destroy();
          },
        };
        made.set(region, clients);
      }
      return clients;
    },
    destroy() {
      for (const clients of made.values()) clients.destroy();
      for (const client of backups.values()) client.destroy();
      made.clear();
      backups.clear();
    },
  };
}
