// `trace deploy` on a terminal: infrastructure changes default to No (as SAM's --confirm-changeset
// does), so Enter at the prompt creates nothing. Driven on a pseudo-terminal (test/support/pty.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import { describeStack } from "../../../src/core/deploy/stack-state";
import { emulatorEndpoint, emulatorEnv, uniqueName } from "../../support/emulator";
import { ENTER, runCliOnPty } from "../../support/pty";

// A region of its own: nothing else in the suite deploys the bootstrap stack here.
const REGION = "mx-central-1";
const clients = createAwsClients({ region: REGION, endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS });
afterAll(() => clients.destroy());

describe("deploy's confirmation", () => {
  it("shows (y/N); Enter declines and creates nothing (exit 1)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trace-deploy-prompt-"));
    const config = join(dir, "trace.config.yaml");
    writeFileSync(config, `environments:\n  dev:\n    stage: ${uniqueName("p")}\n    region: ${REGION}\n    streamTriggers: false\n`);
    const run = await runCliOnPty(
      ["--config", config, "--endpoint-url", emulatorEndpoint(), "deploy", "bootstrap", "--no-forecast"],
      [{ expect: "Create trace-bootstrap with these \\d+ resources\\?", send: ENTER }],
      { ...emulatorEnv(), AWS_REGION: REGION },
    );
    expect(run.timedOut).toBe(false);
    expect(run.output).toMatch(/Create trace-bootstrap with these \d+ resources\? \(y\/N\)/);
    expect(run.output).toContain("creation of trace-bootstrap declined; nothing was created");
    expect(run.code).toBe(1);
    expect(await describeStack(clients.cloudformation, "trace-bootstrap")).toBeUndefined();
  });
});
