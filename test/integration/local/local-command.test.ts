import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../src/local/emulator";
import { runCli } from "../../support/cli";

describe("trace local start | status | stop", () => {
  // A state directory of its own, so no other test (or developer) shares this emulator.
  const state = { TRACE_STATE_DIR: mkdtempSync(join(tmpdir(), "trace-local-")) };
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...state, ...env } });
  let port = 0;
  afterAll(async () => {
    await run(["local", "stop"]);
  });

  it("starts the emulator on loopback, reports it, reuses it, and stops it", async () => {
    port = await freePort();
    const env = { TRACE_LOCAL_PORT: String(port) };
    const start = await run(["local", "start", "--json"], env);
    expect(start.code, start.stderr).toBe(0);
    const started = JSON.parse(start.stdout);
    expect(started).toMatchObject({ port, endpoint: `http://127.0.0.1:${port}`, alreadyRunning: false });
    expect((await fetch(`${started.endpoint}/moto-api/`)).ok).toBe(true);

    const again = await run(["local", "start", "--json"], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ pid: started.pid, alreadyRunning: true });

    const status = await run(["local", "status", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, healthy: true, state: { pid: started.pid } });

    // --local follows the recorded emulator, whatever its port.
    const config = await run(["--local", "config", "--json"]);
    expect(JSON.parse(config.stdout).environment).toMatchObject({ name: "local", endpointUrl: started.endpoint, prefix: "local-" });

    const stop = await run(["local", "stop"]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`emulator stopped (pid ${started.pid})`);
    await expect(fetch(`${started.endpoint}/moto-api/`)).rejects.toThrow();
    const after = await run(["local", "status"]);
    expect(after.code).toBe(3);
    expect(after.stdout).toContain("not running");
  });

  it("rejects a bad port with exit 2", async () => {
    const result = await run(["local", "start", "--port", "80"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--port 80");
  });
});
