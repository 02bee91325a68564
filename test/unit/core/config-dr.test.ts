// The disaster-recovery keys of an environment (issue 26): drRegion must be another region than the
// one the environment runs in (whatever sets it: file, flag, AWS_REGION), and replicateData needs it.
import { describe, expect, it } from "vitest";
import { configFileSchema, type LoadedConfig, resolveEnvironment } from "../../../src/core/config";
import { TraceError } from "../../../src/core/errors";

const loaded = (env: Record<string, unknown>): LoadedConfig => ({
  path: "trace.config.yaml",
  file: configFileSchema.parse({ environments: { prod: { stage: "prod", region: "eu-west-1", ...env } } }),
});

describe("drRegion and replicateData", () => {
  it("resolve with another region", () => {
    const env = resolveEnvironment(loaded({ drRegion: "eu-central-1", replicateData: true }), {}, {});
    expect(env).toMatchObject({ region: "eu-west-1", drRegion: "eu-central-1", replicateData: true, drillSchedule: false });
  });

  it("refuse the environment's own region, also when a flag makes it so, naming the key and the fix", () => {
    for (const [config, overrides] of [
      [{ drRegion: "eu-west-1" }, {}],
      [{ drRegion: "eu-central-1" }, { region: "eu-central-1" }],
    ] as const) {
      try {
        resolveEnvironment(loaded(config), overrides, {});
        throw new Error("not refused");
      } catch (error) {
        expect(error).toBeInstanceOf(TraceError);
        expect((error as TraceError).exitCode).toBe(2);
        expect((error as TraceError).message).toMatch(/drRegion eu-(west|central)-1 is the environment's own region/);
        expect((error as TraceError).hint).toMatch(/another region/);
      }
    }
  });

  it("refuse replicateData without drRegion, and a drRegion that is not a region", () => {
    expect(() => resolveEnvironment(loaded({ replicateData: true }), {}, {})).toThrow(/replicateData needs drRegion/);
    expect(configFileSchema.safeParse({ environments: { p: { stage: "p", drRegion: "Frankfurt" } } }).success).toBe(false);
  });
});
