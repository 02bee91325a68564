import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { SPACE_HINT } from "../../../../lambda/export";
import { ErrorCode, TraceError } from "../../../../src/core/errors";
import { type DiskSpace, SPOOL_RESERVE_BYTES, SpoolSpace, statfsSpace } from "../../../../src/core/export/spool-space";

const MiB = 1024 * 1024;

/** A disk whose free space follows `frees`, one value per look (the last repeats); counts the looks. */
function disk(frees: number[], total = 512 * MiB) {
  let looks = 0;
  return {
    get looks() {
      return looks;
    },
    freeSpace: async (): Promise<DiskSpace> => ({ free: frees[Math.min(looks++, frees.length - 1)] as number, total }),
  };
}

async function failure(run: () => Promise<void>): Promise<TraceError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof TraceError) return error;
    throw error;
  }
  throw new Error("expected the spool check to fail");
}

describe("SpoolSpace", () => {
  it("statfs reads a real disk", async () => {
    const { free, total } = await statfsSpace(tmpdir());
    expect(free).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(free);
  });

  it("refuses to start on a disk below the reserve, naming the sizes", async () => {
    const d = disk([10 * MiB]);
    const error = await failure(() => new SpoolSpace({ dir: "/tmp", freeSpace: d.freeSpace }).before());
    expect(error.code).toBe(ErrorCode.failed);
    expect(error.message).toBe("/tmp has 10 MiB free of 512 MiB: no room to spool the export (it keeps 16 MiB free)");
    expect(error.hint).toContain("TMPDIR");
    await new SpoolSpace({ dir: "/tmp", freeSpace: disk([SPOOL_RESERVE_BYTES]).freeSpace }).before();
  });

  it("looks again only every checkEveryBytes spooled, and stops at the reserve", async () => {
    const d = disk([100 * MiB, 100 * MiB, 12 * MiB]);
    const space = new SpoolSpace({ dir: "/tmp", freeSpace: d.freeSpace, checkEveryBytes: 10 * MiB, hint: SPACE_HINT });
    await space.during(9 * MiB, 1000);
    expect(d.looks).toBe(0);
    await space.during(10 * MiB, 2000);
    await space.during(19 * MiB, 3000);
    expect(d.looks).toBe(1);
    await space.during(20 * MiB, 4000);
    const error = await failure(() => space.during(30 * MiB, 6000));
    expect(d.looks).toBe(3);
    expect(error.message).toBe("the export's spool filled /tmp (512 MiB): 30 MiB spooled after 6,000 items read, 12 MiB left");
    expect(error.hint).toBe(SPACE_HINT);
  });

  it("stops early when the table's size says the spool will not fit", async () => {
    const space = (free: number) =>
      new SpoolSpace({ dir: "/tmp", freeSpace: disk([free]).freeSpace, checkEveryBytes: 1, tableItems: 10_000 });
    // 20 MiB after a fifth of the table heads for 100 MiB: 80 MiB more.
    const error = await failure(() => space(60 * MiB).during(20 * MiB, 2_000));
    expect(error.message).toBe(
      "the export's spool will not fit in /tmp (512 MiB): 20 MiB spooled after 2,000 of about 10,000 items, heading for 100 MiB with 60 MiB free",
    );
    // With a margin (the item count is approximate): 80 MiB more fits 1.5 × (80 − 16) MiB free.
    await space(80 * MiB).during(20 * MiB, 2_000);
    // No projection before a tenth of the table is read.
    await space(20 * MiB).during(5 * MiB, 999);
  });
});

describe("the export function's hint", () => {
  it("names the config key, its bounds and the deploy", () => {
    expect(SPACE_HINT).toBe(
      "raise exportEphemeralStorageMiB (512 to 10240 MiB: this function's /tmp) for the environment in trace.config.yaml and run `trace deploy traceability`",
    );
  });
});
