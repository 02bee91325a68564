// The deployed stream handlers, built over given clients for the local path (`trace local
// streams` and the demo): the same code the event source mapping and the bus rule invoke.

import { createHandler as claimsHandler } from "../../lambda/archive-claims";
import { createHandler as archiveHandler } from "../../lambda/archiver";
import { createHandler as auditHandler } from "../../lambda/audit-producer";
import type { AwsClients } from "../core/aws/clients";
import { overrideReporter, type Reporter } from "../core/reporter";
import type { LocalHandlers } from "./streams-run";

export function localHandlers(clients: AwsClients, cliReporter: Reporter): LocalHandlers {
  // The handlers' per-batch log lines are for CloudWatch; on a terminal they are verbose-only.
  const reporter = overrideReporter(cliReporter, { info: (message, data) => cliReporter.debug(message, data) });
  return {
    // As deployed: a fully failed batch throws (a function error, which the mapping bisects).
    audit: ({ auditTableName }) => auditHandler({ dynamodb: clients.dynamodb, auditTableName, reporter }),
    archive: ({ bucket, kmsKeyArn }) => archiveHandler({ s3: clients.s3, dynamodb: clients.dynamodb, bucket, kmsKeyArn, reporter }),
    claims: ({ bucket, kmsKeyArn }) => {
      const handle = claimsHandler({ s3: clients.s3, bucket, kmsKeyArn, reporter });
      return (batch) => handle(batch);
    },
  };
}
