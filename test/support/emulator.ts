// Helpers for tests that talk to the emulator started by test/setup/emulator.ts.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { type AwsClients, createAwsClients, EMULATOR_CREDENTIALS } from "../../src/core/aws/clients";
import * as more from "../../src/core/aws/more-clients";

export const emulatorEndpoint = () => inject("emulatorEndpoint");

/** Clients built through the real factory, pointed at the emulator. */
export function emulatorClients(): AwsClients {
  // Tests load every client: what a process loads matters to the CLI, not to a test.
  return createAwsClients({ region: "us-east-1", endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS }, more);
}

/** A name no other test uses, since every test file shares one emulator. */
export const uniqueName = (base: string) => `${base}-${randomBytes(4).toString("hex")}`;

/** Environment variables for a CLI subprocess that must reach the emulator. */
export function emulatorEnv(): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL: emulatorEndpoint(),
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  };
}
