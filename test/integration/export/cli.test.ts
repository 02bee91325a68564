// `trace export` driven as a user runs it: the business zone decides membership, local output,
// dry runs, and bad input refused with the documented exit code and nothing written.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv, uniqueName } from "../../support/emulator";
import { configFile, createTable, createVersionedBucket, putItems, readText, S, TEST_KEY_ARN } from "./support";

const DAY = "2026-11-22";
/** Near midnight: which day each falls on differs between Bogota (UTC-5) and Madrid (UTC+1). */
const nearMidnight = [
  { id: S("bog-late"), fecha: S("2026-11-22T23:30:00-05:00") }, // Bogota 22nd 23:30; Madrid 23rd 05:30
  { id: S("utc-late"), fecha: S("2026-11-22T23:30:00Z") }, // Bogota 22nd 18:30; Madrid 23rd 00:30
  { id: S("mad-early"), fecha: S("2026-11-22T00:30:00+01:00") }, // Bogota 21st 18:30; Madrid 22nd 00:30
  { id: S("utc-early"), fecha: S("2026-11-22T04:59:59Z") }, // Bogota 21st 23:59:59; Madrid 22nd 05:59:59
  { id: S("noon"), fecha: S("2026-11-22T12:00:00Z") }, // both the 22nd
];

describe("trace export (CLI)", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  let table: string;
  let bucket: string;
  const bogota = configFile("America/Bogota", 2);
  const madrid = configFile("Europe/Madrid", 1);
  const target = () => ["--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN];
  const objects = async () => (await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key) ?? [];

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, nearMidnight);
  });
  afterAll(() => clients.destroy());

  it("decides day membership in the configured zone", async () => {
    const ids = async (config: string) => {
      const run = await runCli(["--config", config, "export", "--date", DAY, "--out", "-", ...target()], { env });
      expect(run.code, run.stderr).toBe(0);
      return parse(run.stdout, { from_line: 2 })
        .map((r: string[]) => r[0])
        .sort();
    };
    expect(await ids(bogota)).toEqual(["bog-late", "noon", "utc-late"]);
    expect(await ids(madrid)).toEqual(["mad-early", "noon", "utc-early"]);
  });

  it("--out - puts only the CSV on stdout and the summary on stderr; nothing is uploaded", async () => {
    const run = await runCli(["--config", bogota, "export", "--date", DAY, "--out", "-", ...target()], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.startsWith("id,fecha,estado\r\n")).toBe(true);
    expect(parse(run.stdout)).toHaveLength(4);
    expect(run.stderr).toContain("3");
    expect(await objects()).toEqual([]);
  });

  it("--out <file> writes the file whole, with no leftover temporary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "trace-export-out-"));
    const file = join(dir, "day.csv");
    const run = await runCli(["--config", bogota, "--json", "export", "--date", DAY, "--out", file, ...target()], { env });
    expect(run.code, run.stderr).toBe(0);
    const manifest = JSON.parse(run.stdout);
    const text = readFileSync(file);
    expect(manifest).toMatchObject({ rows: 3, bytes: text.length, location: file, dryRun: false });
    expect(readdirSync(dir).sort()).toEqual(["day.csv", "day.csv.manifest.json"]);
    expect(JSON.parse(readFileSync(join(dir, "day.csv.manifest.json"), "utf8"))).toEqual(manifest);
  });

  it("--dry-run counts and writes nothing", async () => {
    const run = await runCli(["--config", madrid, "--json", "export", "--date", DAY, "--dry-run", ...target()], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rows: 3, bytes: null, sha256: null, dryRun: true, location: null });
    expect(await objects()).toEqual([]);
  });

  it("--from/--to exports every day of the range, one object and manifest each", async () => {
    const run = await runCli(["--config", madrid, "--json", "export", "--from", "2026-11-21", "--to", "2026-11-23", ...target()], { env });
    expect(run.code, run.stderr).toBe(0);
    const manifests = JSON.parse(run.stdout);
    expect(manifests.map((m: { date: string; rows: number }) => [m.date, m.rows])).toEqual([
      ["2026-11-21", 0],
      ["2026-11-22", 3],
      ["2026-11-23", 2],
    ]);
    const keys = await objects();
    for (const day of ["2026-11-21", "2026-11-22", "2026-11-23"]) {
      expect(keys).toContain(`exports/${table}/dt=${day}/${table}_${day}.csv`);
      expect(keys).toContain(`exports/${table}/dt=${day}/_manifest.json`);
    }
    // An empty day still gets its header, so consumers see the day was exported.
    expect(await readText(clients, bucket, `exports/${table}/dt=2026-11-21/${table}_2026-11-21.csv`)).toBe("id,fecha,estado\r\n");
  });

  it("the human summary names rows, bytes and the object", async () => {
    const run = await runCli(["--config", madrid, "export", "--date", DAY, ...target()], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`s3://${bucket}/exports/${table}/dt=${DAY}/${table}_${DAY}.csv`);
    expect(run.stdout).toMatch(/2026-11-22\s+3\s+\d+ B/);
  });

  describe("bad input: clear message, documented exit code, nothing written", () => {
    const cases: [string, string[], number, RegExp][] = [
      ["an impossible date", ["--date", "2026-02-30"], 2, /--date "2026-02-30" is not a valid date/],
      ["a malformed date", ["--date", "22/11/2026"], 2, /not a valid date/],
      ["--from after --to", ["--from", "2026-11-23", "--to", "2026-11-21"], 2, /--from 2026-11-23 is after --to 2026-11-21/],
      ["--from without --to", ["--from", "2026-11-23"], 2, /--from and --to go together/],
      ["bad --segments", ["--date", DAY, "--segments", "0"], 2, /--segments "0"/],
      ["--out - with --json", ["--date", DAY, "--out", "-", "--json"], 2, /--out -/],
    ];
    for (const [what, args, code, message] of cases) {
      it(what, async () => {
        const before = await objects();
        const run = await runCli(["--config", madrid, "export", ...args, ...target()], { env });
        expect(run.code).toBe(code);
        expect(run.stderr).toMatch(message);
        expect(await objects()).toEqual(before);
      });
    }

    it("a missing table → 3", async () => {
      const run = await runCli(
        ["--config", madrid, "export", "--date", DAY, "--table", uniqueName("nope"), "--bucket", bucket, "--kms-key", TEST_KEY_ARN],
        {
          env,
        },
      );
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/table "nope-[0-9a-f]+" does not exist/);
      expect(run.stderr).toContain("--table");
    });

    it("a missing bucket → 3", async () => {
      const missing = uniqueName("nope").toLowerCase();
      const run = await runCli(
        ["--config", madrid, "export", "--date", DAY, "--table", table, "--bucket", missing, "--kms-key", TEST_KEY_ARN],
        { env },
      );
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`bucket "${missing}" does not exist`);
    });

    it("no stacks deployed and no flags → 3 naming the stack and the flag", async () => {
      const run = await runCli(["--config", madrid, "export", "--date", DAY], { env });
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/trace-test-traceability/);
      expect(run.stderr).toContain("--table");
    });

    it("a file in a missing directory → 2 before reading, naming the directory, no file left", async () => {
      const dir = join(tmpdir(), uniqueName("no-such-dir"));
      const path = join(dir, "day.csv");
      const run = await runCli(["--config", madrid, "export", "--date", DAY, "--out", path, ...target()], { env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`directory ${dir} does not exist`);
      expect(run.stderr).not.toContain(".partial");
      expect(existsSync(path)).toBe(false);
    });

    it("--out to a directory or a place nothing can be created → 2 before reading, nothing written", async () => {
      const dir = mkdtempSync(join(tmpdir(), "trace-out-dir-"));
      const toDir = await runCli(["--config", madrid, "export", "--date", DAY, "--out", dir, ...target()], { env });
      expect(toDir.code).toBe(2);
      expect(toDir.stderr).toContain(`--out ${dir} is a directory`);
      expect(readdirSync(dir)).toEqual([]);
      // /proc takes no new files, even from root (who passes every permission check).
      const nowhere = await runCli(["--config", madrid, "export", "--date", DAY, "--out", "/proc/day.csv", ...target()], { env });
      expect(nowhere.code).toBe(2);
      expect(nowhere.stderr).toMatch(/--out \/proc\/day\.csv: cannot create a file in \/proc/);
    });

    it("an empty flag value is refused (exit 2), never taken for the default: nothing uploaded", async () => {
      const before = await objects();
      for (const args of [
        ["--date", DAY, "--out", ""],
        ["--date", ""],
        ["--date", DAY, "--kms-key", ""],
        ["--date=", "--bucket", bucket],
      ]) {
        const run = await runCli(["--config", madrid, "export", ...args, "--table", table, "--bucket", bucket], { env });
        expect(run.code, args.join(" ")).toBe(2);
        expect(run.stderr).toMatch(/error: --(out|date|kms-key) was given an empty value/);
      }
      expect(await objects()).toEqual(before);
    });

    it("--kms-key: a value of no KMS shape → 2, a key that does not exist → 3; both before reading, nothing uploaded", async () => {
      const before = await objects();
      const bogus = await runCli(
        ["--config", madrid, "export", "--date", DAY, "--table", table, "--bucket", bucket, "--kms-key", "bogus"],
        {
          env,
        },
      );
      expect(bogus.code).toBe(2);
      expect(bogus.stderr).toContain('--kms-key "bogus" is not a KMS key');
      const absent = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
      const missing = await runCli(
        ["--config", madrid, "export", "--date", DAY, "--table", table, "--bucket", bucket, "--kms-key", absent],
        {
          env,
        },
      );
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`KMS key "${absent}" (--kms-key) does not exist`);
      expect(missing.stderr).not.toMatch(/scanned|queried/);
      expect(await objects()).toEqual(before);
    });
  });
});
