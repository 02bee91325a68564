// Starts moto's server (from the project-local .venv) on a free loopback port for the
// integration tests, waits until it answers, and stops it at the end. TRACE_TEST_ENDPOINT
// points the tests at an emulator that is already running instead.
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { EMULATOR_CREDENTIALS } from "../../src/core/aws/clients";
import { startEmulator } from "../../src/local/emulator";
import { createKmsKey } from "../support/fixtures";
import { projectRoot } from "../support/paths";

declare module "vitest" {
  export interface ProvidedContext {
    emulatorEndpoint: string;
    /** A KMS key made in the emulator (us-east-1): `--kms-key` is checked with DescribeKey before an export reads. */
    testKeyArn: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.TRACE_TEST_ENDPOINT;
  if (existing) {
    project.provide("emulatorEndpoint", existing);
    project.provide("testKeyArn", await testKey(existing));
    return async () => {};
  }
  const emulator = await startEmulator({ root: projectRoot, logFile: join(projectRoot, ".trace", "moto-test.log") });
  project.provide("emulatorEndpoint", emulator.endpoint);
  project.provide("testKeyArn", await testKey(emulator.endpoint));
  return () => emulator.stop();
}

const testKey = (endpoint: string) =>
  createKmsKey({ settings: { region: "us-east-1", endpointUrl: endpoint, credentials: EMULATOR_CREDENTIALS } });
