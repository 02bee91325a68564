import { describe, expect, it } from "vitest";
import { DEFAULT_TIMEOUT_MINUTES, planDrill } from "../../../../src/core/drill/plan";
import { TraceError } from "../../../../src/core/errors";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const refused = (request: Parameters<typeof planDrill>[0]) => {
  try {
    planDrill(request, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceError);
    expect((error as TraceError).exitCode).toBe(2);
    return (error as TraceError).message;
  }
  throw new Error("not refused");
};

describe("trace drill's flags", () => {
  it("defaults to a point-in-time drill of TRAZABILIDAD that deletes its scratch table", () => {
    expect(planDrill({}, NOW)).toEqual({
      table: undefined,
      from: "pitr",
      at: undefined,
      drRegion: undefined,
      keep: false,
      restored: undefined,
      restoreRole: undefined,
      timeoutMs: DEFAULT_TIMEOUT_MINUTES * 60_000,
    });
  });

  it("reads --at with an offset, --dr-region alone or with a region (a backup drill), --timeout", () => {
    expect(planDrill({ at: "2026-11-24T10:30:00+01:00" }, NOW).at?.toISOString()).toBe("2026-11-24T09:30:00.000Z");
    expect(planDrill({ drRegion: true }, NOW)).toMatchObject({ drRegion: true, from: "backup" });
    expect(planDrill({ drRegion: "eu-central-1" }, NOW)).toMatchObject({ drRegion: "eu-central-1", from: "backup" });
    expect(planDrill({ timeout: "90", keep: true }, NOW)).toMatchObject({ timeoutMs: 90 * 60_000, keep: true });
  });

  it("refuses what makes no sense, naming the flag", () => {
    expect(refused({ from: "snapshot" })).toMatch(/--from "snapshot"/);
    expect(refused({ at: "2026-11-24T10:30:00" })).toMatch(/with Z or an offset/);
    expect(refused({ at: "2026-11-24T12:00:00Z" })).toMatch(/is not in the past/);
    expect(refused({ from: "backup", at: "2026-11-24T10:00:00Z" })).toMatch(/only point-in-time recovery restores to/);
    expect(refused({ from: "pitr", drRegion: "eu-central-1" })).toMatch(/own region/);
    expect(refused({ drRegion: "Frankfurt" })).toMatch(/--dr-region "Frankfurt" is not an AWS region/);
    expect(refused({ restored: "t", from: "pitr" })).toMatch(/--restored/);
    expect(refused({ timeout: "0" })).toMatch(/--timeout "0"/);
    expect(refused({ timeout: "1441" })).toMatch(/1 to 1440/);
  });
});
