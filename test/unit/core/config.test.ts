import { describe, expect, it } from "vitest";
import { parseConfig, physicalName, resolveEnvironment } from "../../../src/core/config";
import { TraceError } from "../../../src/core/errors";

const yaml = `
defaultEnv: dev
environments:
  dev:
    stage: dev
    region: eu-west-1
    prefix: dev-
    timeZone: Europe/Madrid
  prod:
    stage: prod
    region: eu-west-1
    prefix: prod-
    timeZone: America/Bogota
    exportHour: 20
    protected: true
`;

function configError(text: string, path = "trace.config.yaml"): TraceError {
  try {
    parseConfig(text, path);
  } catch (error) {
    if (error instanceof TraceError) return error;
    throw error;
  }
  throw new Error("expected a config error");
}

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    const file = parseConfig(yaml, "trace.config.yaml");
    expect(file.environments.dev).toMatchObject({ exportHour: 19, retentionDays: 7, logRetentionDays: 14, backups: false });
    expect(file.environments.prod?.exportHour).toBe(20);
  });

  it("names the file, key path, expectation and found value", () => {
    const error = configError(yaml.replace("exportHour: 20", 'exportHour: "7pm"'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain("trace.config.yaml: environments.prod.exportHour: expected a number");
    expect(error.message).toContain('found "7pm"');
  });

  it("bounds the export function's /tmp to Lambda's 512-10240 MiB, 2048 by default", () => {
    expect(parseConfig(yaml, "trace.config.yaml").environments.dev?.exportEphemeralStorageMiB).toBe(2048);
    const big = parseConfig(yaml.replace("exportHour: 20", "exportHour: 20\n    exportEphemeralStorageMiB: 10240"), "trace.config.yaml");
    expect(big.environments.prod?.exportEphemeralStorageMiB).toBe(10240);
    for (const [value, bound] of [
      ["511", "512"],
      ["10241", "10240"],
    ]) {
      const error = configError(yaml.replace("exportHour: 20", `exportHour: 20\n    exportEphemeralStorageMiB: ${value}`));
      expect(error.message).toContain("environments.prod.exportEphemeralStorageMiB");
      expect(error.message).toContain(bound);
      expect(error.message).toContain(value);
    }
  });

  it("rejects an unknown time zone", () => {
    const error = configError(yaml.replace("America/Bogota", "Mars/Olympus"));
    expect(error.message).toContain("environments.prod.timeZone");
    expect(error.message).toContain("IANA");
    expect(error.message).toContain('"Mars/Olympus"');
  });

  it("rejects unknown keys (typos are not silently ignored)", () => {
    const error = configError(yaml.replace("exportHour: 20", "exportHuor: 20"));
    expect(error.message).toContain('unknown key "exportHuor"');
  });

  it("reports syntax errors with the file name", () => {
    expect(configError("{ not json", "trace.config.json").message).toMatch(/^trace\.config\.json: not valid JSON/);
  });
});

describe("resolveEnvironment", () => {
  const loaded = { path: "trace.config.yaml", file: parseConfig(yaml, "trace.config.yaml") };

  it("uses defaultEnv, then flags over AWS variables over the file", () => {
    expect(resolveEnvironment(loaded, {}, {}).name).toBe("dev");
    expect(resolveEnvironment(loaded, {}, { AWS_REGION: "us-east-2" }).region).toBe("us-east-2");
    expect(resolveEnvironment(loaded, { region: "ap-south-1" }, { AWS_REGION: "us-east-2" }).region).toBe("ap-south-1");
    expect(resolveEnvironment(loaded, {}, { AWS_ENDPOINT_URL: "http://127.0.0.1:1" }).endpointUrl).toBe("http://127.0.0.1:1");
  });

  it("lists the known environments for an unknown one", () => {
    expect(() => resolveEnvironment(loaded, { env: "staging" }, {})).toThrow(/unknown environment "staging".*known: dev, prod, local/);
  });

  it("offers the built-in local environment", () => {
    const local = resolveEnvironment(loaded, { local: true }, { AWS_PROFILE: "someone" });
    expect(local).toMatchObject({ name: "local", prefix: "local-", profile: undefined });
    expect(local.endpointUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("builds physical names behind the prefix", () => {
    expect(physicalName(resolveEnvironment(loaded, { env: "prod" }, {}), "TRAZABILIDAD")).toBe("prod-TRAZABILIDAD");
  });
});

describe("trace.config.example.yaml", () => {
  it("is a valid config with the environments it documents", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(new URL("../../../trace.config.example.yaml", import.meta.url), "utf8");
    const file = parseConfig(text, "trace.config.example.yaml");
    expect(Object.keys(file.environments)).toEqual(["dev", "prod"]);
    expect(file.environments.prod).toMatchObject({ protected: true, backups: true, timeZone: "Europe/Madrid" });
  });
});
