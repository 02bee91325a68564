/**
 * The AWS Backup client, in a module of its own: only `trace drill --from backup` (and the drill's
 * scheduled run) loads its SDK package, so no other command pays for it (src/core/aws/clients.ts
 * says why that matters).
 */
import { BackupClient } from "@aws-sdk/client-backup";
import { type AwsSettings, commonConfig } from "./client-config";

/** Recovery points and restore jobs, in the environment's region or its DR region. */
export const createBackupClient = (settings: AwsSettings) => new BackupClient(commonConfig(settings));
