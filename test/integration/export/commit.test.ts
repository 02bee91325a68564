// The commit rule (src/core/export/commit.ts): at every instant, whoever reads a day's manifest
// finds the CSV it describes (rows, bytes, sha256), both under the version the manifest names and
// under the plain key, or finds no manifest and no CSV for a first export. A large day's export is
// interrupted at many points (before, during and after the upload, during the manifest write) and
// the manifest's PutObject is failed by client middleware (the only mock: fault injection); after
// every run the pair is read back from the emulator and checked, and no multipart upload is left.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients, EMULATOR_CREDENTIALS } from "../../../src/core/aws/clients";
import * as more from "../../../src/core/aws/more-clients";
import { ErrorCode, TraceError } from "../../../src/core/errors";
import { COMMIT_BUDGET_MS } from "../../../src/core/export/commit";
import { type ExportRequest, exportDays } from "../../../src/core/export/export-days";
import { type ExportManifest, readManifest } from "../../../src/core/export/manifest";
import { emulatorClients, emulatorEndpoint } from "../../support/emulator";
import { recordingReporter } from "../../support/recording-reporter";
import { createTable, createVersionedBucket, type Item, putItems, S, TEST_KEY_ARN } from "./support";

const DAY = "2026-11-22";
const MiB = 1024 * 1024;

/** ~12 MiB of CSV: three 5 MiB parts, so the upload is multipart and takes a while. */
const bigDay: Item[] = Array.from({ length: 240 }, (_, i) => ({
  id: S(`big-${String(i).padStart(4, "0")}`),
  fecha: S(`${DAY}T${String(i % 24).padStart(2, "0")}:15:00Z`),
  estado: S("ok"),
  carga: S(`${i}:`.padEnd(50_000, "x")),
}));

type Phase = "before" | "after";
/** Called around every S3 and DynamoDB command of the run; may abort, throw, or let it pass. */
type Hook = (command: string, phase: Phase, input: Record<string, unknown>, interrupt: () => void) => void | Promise<void>;

const fault = (message: string) => Object.assign(new Error(message), { name: "InternalError", $metadata: { httpStatusCode: 500 } });

describe("the export's commit rule: a manifest always describes the CSV beside it", () => {
  const setup = emulatorClients();
  let table: string;
  let extra = 0;

  beforeAll(async () => {
    table = await createTable(setup);
    await putItems(setup, table, bigDay);
  });
  afterAll(() => setup.destroy());

  const csvKey = () => `exports/${table}/dt=${DAY}/${table}_${DAY}.csv`;
  const request = (bucket: string): ExportRequest => ({
    table,
    days: [DAY],
    timeZone: "UTC",
    segments: 2,
    target: { kind: "s3", bucket, kmsKeyId: TEST_KEY_ARN, partSize: 5 * MiB },
  });

  /** One more record for the day, so every run's CSV differs from the one before. */
  const addRecord = () => putItems(setup, table, [{ id: S(`late-${++extra}`), fecha: S(`${DAY}T23:00:00Z`), estado: S("nuevo") }]);

  async function run(bucket: string, hook: Hook, target?: ExportRequest["target"]) {
    const clients = createAwsClients({ region: "us-east-1", endpointUrl: emulatorEndpoint(), credentials: EMULATOR_CREDENTIALS }, more);
    const controller = new AbortController();
    const interrupt = () => controller.abort();
    type Next = (args: { input: object }) => Promise<unknown>;
    const middleware = (next: Next, context: { commandName?: string }) => async (args: { input: object }) => {
      const input = args.input as Record<string, unknown>;
      await hook(context.commandName as string, "before", input, interrupt);
      const result = await next(args);
      await hook(context.commandName as string, "after", input, interrupt);
      return result;
    };
    const options = { step: "initialize", name: "commitTestHook" } as const;
    clients.s3.middlewareStack.add(middleware as never, options);
    clients.dynamodb.middlewareStack.add(middleware as never, options);
    const reporter = recordingReporter();
    const warnings = () => reporter.warnings.map((w) => w.message);
    try {
      const manifests = await exportDays(clients, { ...request(bucket), ...(target ? { target } : {}) }, reporter, controller.signal);
      return { manifests, error: undefined, warnings: warnings() };
    } catch (error) {
      return { manifests: [], error: error as TraceError, warnings: warnings() };
    } finally {
      clients.destroy();
    }
  }

  async function getCsv(bucket: string, versionId?: string): Promise<Buffer | null> {
    try {
      const out = await setup.s3.send(new GetObjectCommand({ Bucket: bucket, Key: csvKey(), VersionId: versionId }));
      return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw error;
    }
  }

  const describes = (csv: Buffer | null, manifest: ExportManifest) => {
    expect(csv, "the CSV the manifest names is missing").not.toBeNull();
    const bytes = csv as Buffer;
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(manifest.sha256);
    expect(bytes.length).toBe(manifest.bytes);
    expect(parse(bytes, { relax_column_count: false })).toHaveLength(manifest.rows + 1);
  };

  /**
   * The rule, read back from the emulator: no incomplete multipart upload; no manifest → no CSV
   * (first export); a manifest → the CSV version it names matches it, and (unless `plainKey` is
   * false) so does the CSV under the plain key.
   */
  async function assertPair(bucket: string, plainKey = true): Promise<ExportManifest | null> {
    const { Uploads } = await setup.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(Uploads ?? []).toEqual([]);
    const manifest = await readManifest(setup.s3, bucket, table, DAY, new AbortController().signal);
    if (!manifest) {
      expect(await getCsv(bucket)).toBeNull();
      return null;
    }
    expect(manifest.csvVersionId).toEqual(expect.any(String));
    describes(await getCsv(bucket, manifest.csvVersionId as string), manifest);
    if (plainKey) describes(await getCsv(bucket), manifest);
    return manifest;
  }

  const isManifestPut = (command: string, input: Record<string, unknown>) =>
    command === "PutObjectCommand" && String(input.Key).endsWith("/_manifest.json");

  // Each point: where the interrupt lands, and whether the run may still commit the new pair
  // (an interrupt after the last byte went up is honoured only once the manifest is written).
  const interruptions: {
    point: string;
    at: (command: string, phase: Phase, input: Record<string, unknown>) => boolean;
    commits: "no" | "yes" | "either";
  }[] = [
    { point: "before the scan", at: (c, p) => c === "DescribeTableCommand" && p === "after", commits: "no" },
    { point: "during the scan", at: (c, p) => c === "ScanCommand" && p === "after", commits: "no" },
    { point: "as the upload starts", at: (c, p) => c === "CreateMultipartUploadCommand" && p === "before", commits: "no" },
    { point: "after the first part", at: (c, p) => c === "UploadPartCommand" && p === "after", commits: "no" },
    {
      point: "while the upload is being completed",
      at: (c, p) => c === "CompleteMultipartUploadCommand" && p === "before",
      commits: "either",
    },
    { point: "right after the upload completed", at: (c, p) => c === "CompleteMultipartUploadCommand" && p === "after", commits: "yes" },
    { point: "during the manifest write", at: (c, p, i) => isManifestPut(c, i) && p === "before", commits: "yes" },
    { point: "after the manifest write", at: (c, p, i) => isManifestPut(c, i) && p === "after", commits: "yes" },
  ];

  describe("interrupted at many points of a re-export", () => {
    let bucket: string;
    beforeAll(async () => {
      bucket = await createVersionedBucket(setup);
      const first = await run(bucket, () => {});
      expect(first.error).toBeUndefined();
      await assertPair(bucket);
    });

    for (const { point, at, commits } of interruptions) {
      it(`${point}: exit as interrupted, the pair consistent, no upload left`, async () => {
        const before = (await assertPair(bucket)) as ExportManifest;
        await addRecord();
        let fired = 0;
        const result = await run(bucket, (command, phase, input, interrupt) => {
          if (!fired && at(command, phase, input)) {
            fired++;
            interrupt();
          }
        });
        expect(fired, "the interruption point was never reached").toBe(1);
        expect(result.error?.code).toBe(ErrorCode.interrupted);
        const after = (await assertPair(bucket)) as ExportManifest;
        const committed = after.sha256 !== before.sha256;
        if (commits === "no") expect(committed).toBe(false);
        if (commits === "yes") expect(committed).toBe(true);
        if (committed) {
          expect(after.rows).toBe(bigDay.length + extra);
          expect(result.error?.message).toContain(`after committing ${DAY}`);
        }
        if (commits === "yes" && point !== "after the manifest write") {
          // Told on the terminal (the CLI's stderr, the Lambda's log) why it does not stop at once.
          expect(result.warnings.join("\n")).toContain(`finishing ${DAY}'s manifest first`);
          expect(result.warnings.join("\n")).toContain(`at most ${COMMIT_BUDGET_MS / 1000} s`);
        }
      });
    }
  });

  describe("the manifest's PutObject failing", () => {
    it("on a re-export: the new CSV is withdrawn, the previous pair stands as it was", async () => {
      const bucket = await createVersionedBucket(setup);
      expect((await run(bucket, () => {})).error).toBeUndefined();
      const before = (await assertPair(bucket)) as ExportManifest;
      await addRecord();
      const result = await run(bucket, (command, phase, input) => {
        if (isManifestPut(command, input) && phase === "before") throw fault("manifest write failed (injected)");
      });
      expect(result.error).toBeInstanceOf(TraceError);
      expect(result.error?.message).toMatch(/manifest of 2026-11-22 could not be written .*the new CSV was withdrawn/);
      const after = await assertPair(bucket);
      expect(after).toEqual(before);
      // The withdrawn version is gone; the previous one is current again.
      const { Versions } = await setup.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: csvKey() }));
      expect((Versions ?? []).map((v) => v.VersionId)).toEqual([before.csvVersionId]);
    });

    it("on a first export: no manifest and no CSV", async () => {
      const bucket = await createVersionedBucket(setup);
      const result = await run(bucket, (command, phase, input) => {
        if (isManifestPut(command, input) && phase === "before") throw fault("manifest write failed (injected)");
      });
      expect(result.error?.message).toContain("the new CSV was withdrawn");
      expect(await assertPair(bucket)).toBeNull();
    });

    it("on a first export read back without s3:ListBucket (AWS answers 403 for the missing manifest): no manifest, the CSV left and said so", async () => {
      const bucket = await createVersionedBucket(setup);
      const result = await run(bucket, (command, phase, input) => {
        if (phase !== "before") return;
        if (isManifestPut(command, input)) throw fault("manifest write failed (injected)");
        // What S3 answers the function's role (GetObject on the manifests, no ListBucket) for a key that does not exist.
        if (command === "GetObjectCommand" && String(input.Key).endsWith("/_manifest.json"))
          throw Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
      });
      expect(result.error?.code).toBe(ErrorCode.failed);
      expect(result.error?.message).toMatch(/nor read back .*left in place: if the day had no manifest .*stands without one/);
      // The rule holds: no manifest names anything; the CSV was not deleted on a guess.
      const manifests = await setup.s3.send(
        new ListObjectVersionsCommand({ Bucket: bucket, Prefix: csvKey().replace(/[^/]+$/, "_manifest.json") }),
      );
      expect(manifests.Versions ?? []).toEqual([]);
      const { Versions } = await setup.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: csvKey() }));
      expect(Versions ?? []).toHaveLength(1);
    });

    it("after it landed (the answer lost): the pair is committed, not withdrawn", async () => {
      const bucket = await createVersionedBucket(setup);
      await addRecord();
      const result = await run(bucket, (command, phase, input) => {
        if (isManifestPut(command, input) && phase === "after") throw fault("connection reset after the write (injected)");
      });
      expect(result.error).toBeUndefined();
      const after = (await assertPair(bucket)) as ExportManifest;
      expect(after.rows).toBe(bigDay.length + extra);
    });

    it("and the undo failing too: the error names the orphan version, the manifest still names the CSV it describes", async () => {
      const bucket = await createVersionedBucket(setup);
      expect((await run(bucket, () => {})).error).toBeUndefined();
      const before = (await assertPair(bucket)) as ExportManifest;
      await addRecord();
      const result = await run(bucket, (command, phase, input) => {
        if (phase !== "before") return;
        if (isManifestPut(command, input)) throw fault("manifest write failed (injected)");
        if (command === "DeleteObjectCommand") throw fault("delete failed (injected)");
      });
      expect(result.error?.code).toBe(ErrorCode.failed);
      expect(result.error?.message).toMatch(/could not be withdrawn .*newer than its manifest/);
      expect(result.error?.hint).toContain("csvVersionId");
      // The versioned reading still holds; the plain key is the run's orphan until the next export.
      expect(await assertPair(bucket, false)).toEqual(before);
      const orphan = await getCsv(bucket);
      expect(orphan?.toString("utf8")).toContain(`late-${extra}`);
      expect((await run(bucket, () => {})).error).toBeUndefined();
      await assertPair(bucket);
    });
  });

  it("--out <file>: the CSV and <file>.manifest.json are put in place together; an interrupted re-export leaves the old pair and no temporary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trace-export-commit-"));
    const path = join(dir, "day.csv");
    const target = { kind: "file", path } as const;
    const localPair = () => {
      expect(readdirSync(dir).sort()).toEqual(["day.csv", "day.csv.manifest.json"]);
      const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, "utf8")) as ExportManifest;
      describes(readFileSync(path), manifest);
      return manifest;
    };
    expect((await run("unused", () => {}, target)).error).toBeUndefined();
    const before = localPair();
    await addRecord();
    const interrupted = await run(
      "unused",
      (command, phase, _input, interrupt) => {
        if (command === "ScanCommand" && phase === "after") interrupt();
      },
      target,
    );
    expect(interrupted.error?.code).toBe(ErrorCode.interrupted);
    expect(localPair()).toEqual(before);
    expect((await run("unused", () => {}, target)).error).toBeUndefined();
    expect(localPair().rows).toBe(bigDay.length + extra);
  });
});
