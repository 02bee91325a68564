// Starts moto's server (from the project-local .venv) on a free loopback port for the
// integration tests, waits until it answers, and stops it at the end. TRACE_TEST_ENDPOINT
// points the tests at an emulator that is already running instead.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { projectRoot } from "../support/paths";

declare module "vitest" {
  export interface ProvidedContext {
    emulatorEndpoint: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early with code ${child.exitCode}; see .trace/moto-test.log`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.TRACE_TEST_ENDPOINT;
  if (existing) {
    project.provide("emulatorEndpoint", existing);
    return async () => {};
  }
  const venv = process.env.TRACE_VENV ?? join(projectRoot, ".venv");
  const server = join(venv, "bin", "moto_server");
  if (!existsSync(server)) {
    throw new Error(`the AWS emulator is not installed (${server} is missing): run \`npm run setup:emulator\` (needs Python 3)`);
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  mkdirSync(join(projectRoot, ".trace"), { recursive: true });
  const log = createWriteStream(join(projectRoot, ".trace", "moto-test.log"));
  const child = spawn(server, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  await waitUntilReady(endpoint, child, 30_000);
  project.provide("emulatorEndpoint", endpoint);
  return async () => {
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    if (child.exitCode === null) child.kill("SIGKILL");
  };
}
