// `trace health` and `trace logs` as an operator runs them after the demo, on a fresh emulator:
// healthy first; a message on a dead-letter queue, then the day's manifest removed, each turn it
// unhealthy (exit 6) naming the cause. `trace logs` reads the lines audit_producer writes: the
// test runs the deployed handler with its real Powertools logger over the demo's stream records
// and puts the lines it printed into the function's log group (the local path runs handlers
// in-process, so nothing else delivers them to CloudWatch Logs).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { CreateLogStreamCommand, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { PurgeQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createHandler } from "../../../lambda/audit-producer";
import { loggerReporter } from "../../../lambda/shared/runtime";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import type { HealthReport } from "../../../src/core/health/health";
import { freePort } from "../../../src/local/emulator";
import { readStream } from "../../../src/local/streams";
import { runCli } from "../../support/cli";

describe("trace health and trace logs after the demo", () => {
  const env = { TRACE_STATE_DIR: mkdtempSync(join(tmpdir(), "trace-health-")), TRACE_LOCAL_PORT: "" };
  afterAll(async () => {
    await runCli(["local", "stop"], { env });
  });
  const health = async () => {
    const run = await runCli(["--local", "health", "--json"], { env });
    return { code: run.code, report: JSON.parse(run.stdout) as HealthReport, stderr: run.stderr };
  };

  it("is healthy after the demo, and names a queued failure and a missing manifest", async () => {
    env.TRACE_LOCAL_PORT = String(await freePort());
    const demo = await runCli(["local", "demo", "--records", "20", "--json"], { env });
    expect(demo.code, demo.stderr).toBe(0);
    const { endpoint, bucket } = JSON.parse(demo.stdout);
    const clients = createAwsClients({ region: "us-east-1", endpointUrl: endpoint, credentials: EMULATOR_CREDENTIALS }, more);
    try {
      const first = await health();
      expect(first.code, JSON.stringify(first.report.problems)).toBe(0);
      const { report } = first;
      expect(report.healthy).toBe(true);
      // The demo's export ran now, after the run's deadline unless it is between the export hour and the deadline.
      expect(["on-time", "landed-late"]).toContain(report.export.lastRun?.verdict);
      const runDay = report.export.lastRun?.days[1];
      expect(runDay).toMatchObject({ present: true, readPath: expect.stringMatching(/^(query|scan)$/) });
      for (const queue of [report.export.queue, report.archive.pipeQueue, report.archive.queue])
        expect(queue).toMatchObject({ depth: 0, inFlight: 0 });
      // The pipes' dead-letter messages point at stream records: the 24-hour deadline applies.
      expect(report.archive.pipeQueue?.streamDeadline).toBe(true);
      // The audit mapping's failures are kept whole in the data bucket (none after the demo).
      expect(report.audit.failures).toMatchObject({ objects: 0 });
      // The demo ran the stamper: the day index is trusted.
      expect(report.export.dayIndex).toMatchObject({ readPath: "query", unstamped: 0, lateStamps: 0 });
      expect(report.archive.pipes?.map((p) => p.state)).toEqual(["NOT_FOUND", "NOT_FOUND"]);
      expect(report.audit.mappings).toEqual([]);
      const human = await runCli(["--local", "health"], { env });
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`last scheduled run:`);
      expect(human.stdout).toMatch(/healthy \(local/);

      // A failed deletion waiting in the archive's dead-letter queue.
      const dlq = report.archive.queue?.url as string;
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: JSON.stringify({ detail: "a failed REMOVE" }) }));
      const queued = await health();
      expect(queued.code).toBe(6);
      expect(queued.report.healthy).toBe(false);
      expect(queued.report.problems).toEqual([
        { job: "archive", cause: expect.stringContaining(`1 message(s) in ${report.archive.queue?.name}: deletions were not archived`) },
      ]);
      const humanQueued = await runCli(["--local", "health"], { env });
      expect(humanQueued.code).toBe(6);
      expect(humanQueued.stdout).toContain(`archive: 1 message(s) in ${report.archive.queue?.name}`);
      await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: dlq }));
      expect((await health()).code).toBe(0);

      // The run's day loses its manifest: the run has not landed.
      await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: runDay?.key }));
      const removed = await health();
      expect(removed.code).toBe(6);
      expect(removed.report.export.lastRun?.verdict).toBe("late");
      expect(removed.report.problems).toEqual([
        { job: "export", cause: expect.stringContaining(`no manifest at s3://${bucket}/${runDay?.key}`) },
      ]);
    } finally {
      clients.destroy();
    }
  });

  it("trace logs shows audit_producer's lines, readable and as JSON", async () => {
    const endpoint = `http://127.0.0.1:${env.TRACE_LOCAL_PORT}`;
    const clients = createAwsClients({ region: "us-east-1", endpointUrl: endpoint, credentials: EMULATOR_CREDENTIALS }, more);
    try {
      const status = JSON.parse((await runCli(["--local", "status", "--json"], { env })).stdout);
      const outputs = Object.assign({}, ...status.stacks.map((s: { outputs?: Record<string, string> }) => s.outputs ?? {}));
      const { records } = await readStream(clients.streams, outputs.ConfigurationStreamArn, {});
      expect(records.length).toBeGreaterThan(0);
      // The handler as deployed, with its Powertools logger; its stdout is what Lambda would ship.
      const printed: string[] = [];
      const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        printed.push(
          ...String(chunk)
            .split("\n")
            .filter((l) => l.startsWith("{")),
        );
        return true;
      });
      try {
        const logger = new Logger({ serviceName: "audit_producer", logLevel: "INFO" });
        await createHandler({ dynamodb: clients.dynamodb, auditTableName: outputs.AuditTableName, reporter: loggerReporter(logger) })({
          Records: records,
        });
      } finally {
        spy.mockRestore();
      }
      expect(printed.length).toBeGreaterThan(0);
      const group = "/aws/lambda/local-audit_producer";
      await clients.logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "2026/01/01/[$LATEST]health-test" }));
      const now = Date.now();
      await clients.logs.send(
        new PutLogEventsCommand({
          logGroupName: group,
          logStreamName: "2026/01/01/[$LATEST]health-test",
          logEvents: printed.map((message, i) => ({ timestamp: now + i, message })),
        }),
      );

      const readable = await runCli(["--local", "logs", "audit-producer", "--since", "10m"], { env });
      expect(readable.code, readable.stderr).toBe(0);
      expect(readable.stdout).toMatch(/INFO {2}batch processed records=\d+ failed=0/);
      const json = await runCli(["--local", "logs", "audit", "--json", "--filter", "batch"], { env });
      expect(json.code, json.stderr).toBe(0);
      const lines = json.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toMatchObject({
        logGroup: group,
        message: { level: "INFO", message: "batch processed", service: "audit_producer" },
      });
      const wrong = await runCli(["--local", "logs", "nothing"], { env });
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain('unknown job or function "nothing"');
    } finally {
      clients.destroy();
    }
  });
});
