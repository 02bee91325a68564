// Ctrl-C on the built CLI while the multipart upload is in flight: exit 130, the upload aborted,
// no object and no incomplete multipart upload left in the bucket.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { projectRoot } from "../../support/paths";
import { configFile, createTable, createVersionedBucket, putItems, S, TEST_KEY_ARN } from "./support";

const DAY = "2026-11-22";

describe("trace export interrupted", () => {
  const clients = emulatorClients();
  let table: string;
  let bucket: string;

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    // ~40 MB of CSV: five 8 MiB parts, so the upload stays in flight long enough to interrupt.
    await putItems(
      clients,
      table,
      Array.from({ length: 800 }, (_, i) => ({ id: S(`big-${i}`), fecha: S(`${DAY}T10:00:00Z`), carga: S("x".repeat(50_000)) })),
    );
  });
  afterAll(() => clients.destroy());

  /** Whether the day's CSV object is in the bucket. */
  const csvOf = (day: string) =>
    clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `exports/${table}/dt=${day}/${table}_${day}.csv` })).then(
      () => "exists",
      () => "absent",
    );

  /**
   * Runs `trace export` with `args` (after the table, bucket and key), presses Ctrl-C once its
   * multipart upload exists, and returns its exit code and stderr.
   */
  const interruptDuringUpload = async (args: string[]) => {
    const trace = join(projectRoot, "bin", "trace");
    const target = ["--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN];
    const child = spawn(process.execPath, [trace, "--config", configFile("UTC", 2), "export", ...args, ...target], {
      env: { PATH: process.env.PATH, ...emulatorEnv() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    // Wait until the multipart upload exists, then press Ctrl-C.
    let started = false;
    for (let i = 0; i < 600 && !started && child.exitCode === null; i++) {
      const { Uploads } = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      started = (Uploads ?? []).length > 0;
      if (!started) await new Promise((r) => setTimeout(r, 25));
    }
    expect(started, `the upload never started; stderr: ${stderr}`).toBe(true);
    child.kill("SIGINT");
    return { code: await exited, stderr };
  };

  it("Ctrl-C during the upload → exit 130, nothing left behind", async () => {
    const { code, stderr } = await interruptDuringUpload(["--date", DAY]);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain("interrupted");
    const { Uploads } = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(Uploads ?? []).toEqual([]);
    expect(await csvOf(DAY)).toBe("absent");
  });

  it("Ctrl-C during a backfill → exit 130, says which days are committed and the command that does the rest", async () => {
    const { code, stderr } = await interruptDuringUpload(["--from", "2026-11-20", "--to", "2026-11-24"]);
    expect(code, stderr).toBe(130);
    // The big day (the 22nd) was in flight: the days before it may be committed, it and those after are not.
    const committed = /export interrupted after committing ([0-9-, ]+) \(CSV and manifest complete\)/.exec(stderr)?.[1]?.split(", ") ?? [];
    for (const day of committed) expect(day < DAY).toBe(true);
    const first = ["2026-11-20", "2026-11-21", "2026-11-22"].find((d) => !committed.includes(d));
    expect(stderr).toContain(`hint: resume with: trace export --from ${first} --to 2026-11-24`);
    expect(await csvOf(DAY)).toBe("absent");
  });
});
