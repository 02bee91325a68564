// The export's planning without commander or AWS: what the flags ask for, and every refusal.
import { describe, expect, it } from "vitest";
import { planExport } from "../../../../src/core/export/operations";

const env = {
  stage: "dev",
  timeZone: "Europe/Madrid",
  exportSegments: 4,
  spreadsheetSafe: false,
  lateWriteSlackMinutes: 15,
  retentionDays: 7,
};

describe("planExport", () => {
  it("one day to S3 with the environment's segments and spreadsheet setting", () => {
    expect(planExport({ date: "2026-11-22" }, env)).toEqual({
      days: ["2026-11-22"],
      segments: 4,
      engine: undefined,
      destination: "s3",
      spreadsheetSafe: false,
    });
  });

  it("a backfill is every day from --from to --to; flags override the environment", () => {
    const plan = planExport({ from: "2026-10-30", to: "2026-11-02", segments: "8", engine: "scan", spreadsheetSafe: true }, env);
    expect(plan.days).toEqual(["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]);
    expect(plan).toMatchObject({ segments: 8, engine: "scan", spreadsheetSafe: true });
  });

  it("without a date, today in the business time zone", () => {
    const day = planExport({}, env).days[0] as string;
    expect(day).toBe(new Intl.DateTimeFormat("en-CA", { timeZone: env.timeZone }).format(new Date()));
  });

  it("the destination follows --dry-run and --out", () => {
    expect(planExport({ dryRun: true }, env).destination).toBe("none");
    expect(planExport({ out: "-" }, env).destination).toBe("stdout");
    expect(planExport({ out: "day.csv" }, env).destination).toBe("file");
  });

  it.each([
    [{ date: "2026-11-22", from: "2026-11-01" }, "--date cannot be combined with --from/--to"],
    [{ from: "2026-11-01" }, "--from and --to go together"],
    [{ dryRun: true, out: "x.csv" }, "--dry-run writes nothing"],
    [{ from: "2026-11-07", to: "2026-11-01" }, "--from 2026-11-07 is after --to 2026-11-01"],
    [{ from: "2026-11-01", to: "2026-11-02", out: "x.csv" }, "--out writes one day"],
    [{ segments: "0" }, '--segments "0" is not an integer from 1 to 64'],
    [{ segments: "65" }, '--segments "65" is not an integer from 1 to 64'],
    [{ engine: "table" }, '--engine "table" is not a read path'],
    [{ engine: "native", out: "x.csv" }, '--engine "native" assembles the CSV in the bucket, so it cannot write --out'],
    [{ engine: "native", dryRun: true }, '--engine "native" assembles the CSV in the bucket, so it cannot write a dry run'],
  ])("refuses %o: %s", (request, message) => {
    expect(() => planExport(request, env)).toThrow(message);
  });

  it("refuses the CSV on a stdout that --json already uses", () => {
    expect(() => planExport({ out: "-" }, env, true)).toThrow("--out - puts the CSV on stdout, so --json cannot");
  });
});
