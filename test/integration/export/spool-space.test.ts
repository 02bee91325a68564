// The spool disk running out, on the emulator: the export stops before the scan when the disk is
// already too full, and mid-scan as soon as the spool would eat the reserve; either way nothing is
// written and no spool is left behind. The disk's free space is injected (a real tiny file system
// needs root); statfs itself is covered by the unit test.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, TraceError } from "../../../src/core/errors";
import { exportDays } from "../../../src/core/export/export-days";
import type { DiskSpace } from "../../../src/core/export/spool-space";
import { silentReporter } from "../../../src/core/reporter";
import { emulatorClients } from "../../support/emulator";
import { createTable, createVersionedBucket, putItems, S, TEST_KEY_ARN } from "./support";

const MiB = 1024 * 1024;
const DAY = "2026-11-22";

describe("export: the spool disk", () => {
  const clients = emulatorClients();
  let table: string;
  let bucket: string;

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    // Two pages of 500 for one segment.
    const items = Array.from({ length: 700 }, (_, i) => ({ id: S(`r-${i}`), fecha: S(`${DAY}T12:00:00Z`), nota: S("x".repeat(200)) }));
    await putItems(clients, table, items);
  });
  afterAll(() => clients.destroy());

  /** Runs the export with the disk's free space following `frees`; returns the error and the number of looks. */
  async function exportWithDisk(frees: number[]) {
    const spoolDir = mkdtempSync(join(tmpdir(), "trace-spool-space-"));
    let looks = 0;
    const freeSpace = async (): Promise<DiskSpace> => ({ free: frees[Math.min(looks++, frees.length - 1)] as number, total: 512 * MiB });
    const error = await exportDays(
      clients,
      {
        table,
        days: [DAY],
        timeZone: "UTC",
        segments: 1,
        target: { kind: "s3", bucket, kmsKeyId: TEST_KEY_ARN },
        spoolDir,
        spoolDisk: { freeSpace, checkEveryBytes: 1, hint: "make room" },
      },
      silentReporter,
      new AbortController().signal,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    const written = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return { error, looks, written: written.KeyCount ?? 0, leftovers: readdirSync(spoolDir) };
  }

  it("a disk already below the reserve stops the export before the scan", async () => {
    const run = await exportWithDisk([10 * MiB]);
    expect(run.error).toBeInstanceOf(TraceError);
    expect((run.error as TraceError).code).toBe(ErrorCode.failed);
    expect((run.error as TraceError).message).toMatch(/has 10 MiB free of 512 MiB: no room to spool the export/);
    expect((run.error as TraceError).hint).toBe("make room");
    expect(run.looks).toBe(1);
    expect(run).toMatchObject({ written: 0, leftovers: [] });
  });

  it("a disk that fills during the scan stops it after the page that ate the reserve", async () => {
    const run = await exportWithDisk([100 * MiB, 12 * MiB]);
    expect((run.error as TraceError).message).toMatch(
      /^the export's spool filled .* \(512 MiB\): 0\.1 MiB spooled after 500 items read, 12 MiB left$/,
    );
    expect(run.looks).toBe(2);
    expect(run).toMatchObject({ written: 0, leftovers: [] });
  });

  it("with room enough the same export completes", async () => {
    const run = await exportWithDisk([100 * MiB]);
    expect(run.error).toBeUndefined();
    expect(run.looks).toBeGreaterThanOrEqual(3);
    expect(run.written).toBe(2);
  });
});
