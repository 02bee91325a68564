/**
 * `trace smoke` (and `trace deploy --smoke`): proves every hop of the deployed wiring on the
 * account in a few minutes with canaries, one line per hop with its time and, when it fails, where
 * to look; then removes every canary and what it left. The hops are in hops.ts, the cleanup in
 * cleanup.ts; the driver says how the event sources and functions run (AWS, or local mode).
 */

import { randomBytes } from "node:crypto";
import { FAILURE_PREFIX } from "../audit/redrive";
import { cleanup, type SmokeState } from "./cleanup";
import { archiveHop, auditHop, deleteCanary, exportHop, putCanaries, restoreHop, scheduleHop } from "./hops";
import { logGroupNote, queueNote, smokeNames, timedHop } from "./smoke-support";
import type { SmokeContext, SmokeHop, SmokeOptions, SmokeResult } from "./smoke-types";

export type * from "./smoke-types";

const runIdOf = (now: Date) => `${now.toISOString().replace(/[-:]/g, "").slice(0, 15)}z-${randomBytes(3).toString("hex")}`;

/** Runs every hop, then the cleanup (whatever failed before it). */
export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const names = await smokeNames(options);
  const runId = runIdOf(new Date());
  const ctx: SmokeContext = {
    env: options.env,
    clients: options.clients,
    driver: options.driver,
    reporter: options.reporter,
    names,
    runId,
    canary: `trace-smoke-${runId}`,
    timeoutMs: options.timeoutMs ?? 120_000,
    pollMs: options.pollMs ?? 2000,
    signal: options.signal,
  };
  const archived = [...options.env.archivedTables].sort().reverse(); // TRAZABILIDAD first: it is restored
  const state: SmokeState = { deletions: {}, configurationWrites: 1, passed: new Set() };
  const hops: SmokeHop[] = [];
  const hop = async (...args: Parameters<typeof timedHop>) => {
    const result = await timedHop(...args);
    hops.push(result);
    if (result.verdict === "pass") state.passed.add(result.hop);
    return result;
  };
  const fns = names.functions;
  try {
    await putCanaries(ctx);
    await hop(
      "audit",
      // The mapping keeps a failed batch whole in the data bucket (core/audit/redrive.ts).
      async () => [logGroupNote(fns.auditProducer), `failed batches under s3://${names.bucket}/${FAILURE_PREFIX} (trace audit redrive)`],
      () => auditHop(ctx),
      options.onHop,
    );
    await hop(
      "export",
      async () => [logGroupNote(fns.export), await queueNote(ctx, "dead-letter queue", names.queues.export)],
      () => exportHop(ctx),
      options.onHop,
    );
    for (const table of ["Configuration", "TRAZABILIDAD"]) await deleteCanary(ctx, table, state.deletions);
    for (const table of archived) {
      const lookAt = async () => [
        logGroupNote(fns.archiver),
        await queueNote(ctx, "dead-letter queue", names.queues.archive),
        await queueNote(ctx, "pipes' dead-letter queue", names.queues.pipes),
        `pipe ${names.pipes[table]}`,
      ];
      await hop(`archive ${table}`, lookAt, () => archiveHop(ctx, table, state.deletions[table] ?? 1), options.onHop);
    }
    const restorable = archived.find((t) => state.passed.has(`archive ${t}`));
    if (restorable) {
      await hop(
        "restore",
        async () => [],
        () => restoreHop(ctx, restorable),
        options.onHop,
      );
      if (restorable === "Configuration" && state.passed.has("restore")) state.configurationWrites++;
    }
    await hop(
      "schedule",
      async () => [`aws scheduler get-schedule --name ${names.scheduleName}`],
      () => scheduleHop(ctx),
      options.onHop,
    );
  } finally {
    await hop(
      "cleanup",
      async () => [],
      () => cleanup(ctx, state, archived),
      options.onHop,
    );
  }
  return {
    environment: options.env.name,
    region: options.env.region,
    runId,
    hops,
    passed: hops.every((h) => h.verdict !== "fail"),
  };
}
