import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildArtifact, functionsOfTemplate } from "../../../../src/core/deploy/artifacts";
import { bundleEntry, bundleFunction, functionName } from "../../../../src/core/deploy/bundle";
import { templatesDir } from "../../../../src/core/deploy/templates";
import { packageRoot } from "../../../../src/core/package-root";
import { projectRoot } from "../../../support/paths";

describe("Lambda bundles and artifacts", () => {
  it("finds the package root by walking up to package.json", () => {
    expect(packageRoot()).toBe(projectRoot);
    expect(templatesDir()).toBe(`${projectRoot}/cloudformation`);
  });

  it("bundles a handler as minified ESM index.mjs with a source map", async () => {
    const bundle = await bundleFunction(projectRoot, "export");
    const code = new TextDecoder().decode(bundle.code);
    expect(code).toMatch(/export\s*\{[^}]*as handler/);
    // Minified: long lines (only multi-line template literals keep their newlines).
    expect(code.length / code.split("\n").length).toBeGreaterThan(2000);
    expect(code).toContain("//# sourceMappingURL=index.mjs.map");
    const map = JSON.parse(new TextDecoder().decode(bundle.map)) as { version: number; sources: string[] };
    expect(map.version).toBe(3);
    expect(map.sources.some((s) => s.endsWith("lambda/export.ts"))).toBe(true);
    expect(map.sources.every((s) => !s.startsWith("/"))).toBe(true); // relative: same bytes on every machine
  });

  it("keys an artifact by the sha256 of its zip", async () => {
    const artifact = await buildArtifact(projectRoot, "auditProducer");
    expect(artifact.key).toBe(`lambda/audit-producer/${artifact.sha256}.zip`);
    expect(artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives identical bytes from two fresh esbuild runs (no cache involved)", async () => {
    // Two cache slots of their own, so both runs really bundle.
    const names = [randomUUID(), randomUUID()];
    try {
      const [a, b] = await Promise.all(names.map((n) => bundleEntry(projectRoot, "lambda/audit-producer.ts", n)));
      expect(a?.cached).toBe(false);
      expect(b?.cached).toBe(false);
      expect(Buffer.from(a?.code ?? []).equals(Buffer.from(b?.code ?? []))).toBe(true);
      expect(Buffer.from(a?.map ?? []).equals(Buffer.from(b?.map ?? []))).toBe(true);
    } finally {
      for (const n of names) rmSync(join(projectRoot, ".trace", "bundle", n), { recursive: true, force: true });
    }
  });

  it("names functions by their source file and finds them by code-key parameter", () => {
    expect(functionName("auditProducer")).toBe("audit-producer");
    expect(functionsOfTemplate(["Stage", "ArchiverCodeKey", "ExportCodeKey"])).toEqual(["export", "archiver"]);
  });
});

describe("bundling with the AWS SDK and Powertools inside", () => {
  it("gives a self-contained ESM file that loads in a bare directory and builds its clients", async () => {
    // The archiver pulls in two SDK clients and the Powertools logger.
    const { code, map } = await bundleEntry(projectRoot, "lambda/archiver.ts", "archiver-check");
    const text = new TextDecoder().decode(code);
    expect(text).not.toMatch(/from\s*"@aws-sdk\//);
    expect(text).not.toMatch(/from\s*"@aws-lambda-powertools\//);
    // Outside the project: no node_modules to fall back on.
    const dir = mkdtempSync(join(tmpdir(), "trace-bundle-"));
    writeFileSync(join(dir, "index.mjs"), code);
    writeFileSync(join(dir, "index.mjs.map"), map);
    const probe = `const m = await import(${JSON.stringify(join(dir, "index.mjs"))});
      const handler = m.createHandler({ s3: { send: async () => ({}) }, dynamodb: { send: async () => ({}) }, bucket: "b", kmsKeyArn: "k", reporter: {} });
      process.stdout.write(JSON.stringify([typeof m.handler, typeof handler]));`;
    const run = spawnSync(process.execPath, ["--enable-source-maps", "--input-type=module", "-e", probe], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, AWS_REGION: "us-east-1" },
    });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual(["function", "function"]);
  }, 30_000);
});
