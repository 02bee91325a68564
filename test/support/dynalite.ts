// dynalite (npm, an implementation of DynamoDB's API over LevelDB, in memory here): a second
// DynamoDB whose Scan returns items in hash order, as DynamoDB does (moto returns them in insertion
// order), and whose parallel segments interleave differently from run to run once pages are
// several. Used for the scan path only: its paged GSI Query drops items (issue 21), so the query
// path is proven on moto. Started in the test's own process on a free loopback port.
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { EMULATOR_CREDENTIALS } from "../../src/core/aws/clients";

export interface Dynalite {
  endpoint: string;
  dynamodb: DynamoDBClient;
  /** Environment for a CLI subprocess that must reach it. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  // Tables are ACTIVE at once (dynalite otherwise imitates CREATING for a while).
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dynamodb = new DynamoDBClient({ region: "us-east-1", endpoint, credentials: EMULATOR_CREDENTIALS });
  return {
    endpoint,
    dynamodb,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    },
    close: async () => {
      dynamodb.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
