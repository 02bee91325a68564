// The hard-values dataset through the built CLI into the emulator's S3, read back with a strict
// CSV parser and compared cell by cell; plus the manifest, SSE-KMS and re-export with versioning.
import { createHash } from "node:crypto";
import { HeadObjectCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../support/cli";
import { emulatorClients, emulatorEnv } from "../../support/emulator";
import { configFile, createTable, createVersionedBucket, type Item, N, putItems, readBytes, readText, S, TEST_KEY_ARN } from "./support";

const DAY = "2026-11-22";
const ZONE = "America/Bogota"; // UTC-5 all year: the day is [2026-11-22T05:00Z, 2026-11-23T05:00Z)

const epochSeconds = Date.parse("2026-11-22T12:00:00-05:00") / 1000;
const epochMillis = Date.parse("2026-11-22T21:30:00.250-05:00");

/** Records of the day: every kind of value, `fecha` in every accepted form, at both edges. */
const inside: Item[] = [
  {
    id: S("a-last-second"),
    fecha: S("2026-11-22T23:59:59-05:00"),
    estado: S("ok"),
    texto: S('comma, "quotes" and\nnewline\tand tab\r\nand CRLF'),
    acentos: S("ñandú, café, Ångström"),
    emoji: S("🍲🚀 family: 👨‍👩‍👧"),
  },
  {
    id: S("b-first-second"),
    fecha: S("2026-11-22T00:00:00-05:00"),
    estado: S("pendiente"),
    grande: N("12345678901234567890123456789012345678"),
    pequeno: N("-0.00000000000000000000000000012345678901234567890123456789012345678"),
    negativo: N("-98765432109876543210987654321098765.43"),
  },
  {
    id: S("c-plain-date"),
    fecha: S("2026-11-22"),
    mapa: { M: { z: N("1"), a: { M: { b: { L: [N("1"), S("x"), { BOOL: true }, { NULL: true }] } } } } },
    lista: { L: [S("uno"), N("2.5"), { M: { k: S('v "q"') } }] },
    cadenas: { SS: ["b", "a", "ä"] },
    numeros: { NS: ["10", "-2", "3.5", "0.001"] },
    binarios: { BS: [Buffer.from([2]), Buffer.from([1, 255])] },
    binario: { B: Buffer.from("hola") },
    nulo: { NULL: true },
    activo: { BOOL: false },
    "z,coma": S("only here"),
  },
  { id: S("d-epoch-seconds"), fecha: N(epochSeconds), estado: S("ok"), activo: { BOOL: true } },
  { id: S("e-epoch-millis"), fecha: N(epochMillis) },
  { id: S("f-plus-one"), fecha: S("2026-11-23T00:00:00+01:00"), estado: S("") }, // 18:00 in Bogota
  { id: S("g-epoch-string"), fecha: S(String(epochSeconds + 60)) },
];
/** Records of other days, and the unreadable ones. */
const outside: Item[] = [
  { id: S("x-next-midnight"), fecha: S("2026-11-23T00:00:00-05:00"), estado: S("ok") },
  { id: S("x-prev-last"), fecha: S("2026-11-21T23:59:59-05:00") },
  { id: S("x-madrid-midnight"), fecha: S("2026-11-22T00:00:00+01:00") }, // 18:00 on the 21st in Bogota
  { id: S("x-other-date"), fecha: S("2026-11-21") },
];
const unreadable: Item[] = [
  { id: S("u-words"), fecha: S("ayer por la tarde") },
  { id: S("u-impossible"), fecha: S("2026-02-30") },
  { id: S("u-missing"), estado: S("sin fecha") },
];

const expectedColumns = [
  "id",
  "fecha",
  "estado",
  "acentos",
  "activo",
  "binario",
  "binarios",
  "cadenas",
  "emoji",
  "grande",
  "lista",
  "mapa",
  "negativo",
  "nulo",
  "numeros",
  "pequeno",
  "texto",
  "z,coma",
];

/** Expected cells, written by hand (not computed by the code under test); absent = empty. */
const expected: Record<string, Record<string, string>> = {
  "a-last-second": {
    fecha: "2026-11-22T23:59:59-05:00",
    estado: "ok",
    texto: 'comma, "quotes" and\nnewline\tand tab\r\nand CRLF',
    acentos: "ñandú, café, Ångström",
    emoji: "🍲🚀 family: 👨‍👩‍👧",
  },
  "b-first-second": {
    fecha: "2026-11-22T00:00:00-05:00",
    estado: "pendiente",
    grande: "12345678901234567890123456789012345678",
    pequeno: "-0.00000000000000000000000000012345678901234567890123456789012345678",
    negativo: "-98765432109876543210987654321098765.43",
  },
  "c-plain-date": {
    fecha: "2026-11-22",
    mapa: '{"a":{"b":[1,"x",true,null]},"z":1}',
    lista: '["uno",2.5,{"k":"v \\"q\\""}]',
    cadenas: '["a","b","ä"]',
    numeros: "[-2,0.001,3.5,10]",
    binarios: '["Af8=","Ag=="]',
    binario: "aG9sYQ==",
    nulo: "",
    activo: "false",
    "z,coma": "only here",
  },
  "d-epoch-seconds": { fecha: String(epochSeconds), estado: "ok", activo: "true" },
  "e-epoch-millis": { fecha: String(epochMillis) },
  "f-plus-one": { fecha: "2026-11-23T00:00:00+01:00", estado: "" },
  "g-epoch-string": { fecha: String(epochSeconds + 60) },
};

describe("trace export: the hard-values day", () => {
  const clients = emulatorClients();
  const env = emulatorEnv();
  const config = configFile(ZONE);
  let table: string;
  let bucket: string;
  const key = () => `exports/${table}/dt=${DAY}/${table}_${DAY}.csv`;
  const manifestKey = () => `exports/${table}/dt=${DAY}/_manifest.json`;
  const exportDay = () =>
    runCli(["--config", config, "--json", "export", "--date", DAY, "--table", table, "--bucket", bucket, "--kms-key", TEST_KEY_ARN], {
      env,
    });

  beforeAll(async () => {
    table = await createTable(clients);
    bucket = await createVersionedBucket(clients);
    await putItems(clients, table, [...inside, ...outside, ...unreadable]);
  });
  afterAll(() => clients.destroy());

  it("writes every cell exactly, with the manifest matching the object", async () => {
    const run = await exportDay();
    expect(run.stderr).toContain("unreadable fecha");
    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout);

    const bytes = await readBytes(clients, bucket, key());
    const rows: string[][] = parse(bytes, { bom: false, relax_quotes: false, relax_column_count: false, skip_empty_lines: false });
    const [header, ...data] = rows;
    expect(header).toEqual(expectedColumns);
    expect(data).toHaveLength(inside.length);
    const byId = new Map(data.map((r) => [r[0], r]));
    expect([...byId.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [id, cells] of Object.entries(expected)) {
      const row = byId.get(id) as string[];
      for (const [i, column] of expectedColumns.entries()) {
        expect({ id, column, value: row[i] }).toEqual({ id, column, value: column === "id" ? id : (cells[column] ?? "") });
      }
    }
    // RFC 4180 line endings, UTF-8 without BOM.
    expect(bytes.subarray(0, 3).toString("hex")).not.toBe("efbbbf");
    expect(bytes.toString("utf8").endsWith("\r\n")).toBe(true);

    const manifest = JSON.parse(await readText(clients, bucket, manifestKey()));
    expect(manifest).toEqual(printed);
    expect(manifest).toMatchObject({
      table,
      date: DAY,
      timeZone: ZONE,
      windowStart: "2026-11-22T05:00:00.000Z",
      windowEnd: "2026-11-23T05:00:00.000Z",
      rows: inside.length,
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      columns: expectedColumns,
      scannedCount: inside.length + outside.length + unreadable.length,
      segments: 3,
      unreadableFecha: 3,
      complete: true,
      dryRun: false,
      location: `s3://${bucket}/${key()}`,
    });
    expect([...manifest.unreadableFechaIds].sort()).toEqual(["u-impossible", "u-missing", "u-words"]);
    expect(Date.parse(manifest.finishedAt)).toBeGreaterThanOrEqual(Date.parse(manifest.startedAt));

    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key() }));
    expect(head.ServerSideEncryption).toBe("aws:kms");
    expect(head.SSEKMSKeyId).toBe(TEST_KEY_ARN);
    const headManifest = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: manifestKey() }));
    expect(headManifest.ServerSideEncryption).toBe("aws:kms");
  });

  it("re-running the day replaces the object; versioning keeps the previous one", async () => {
    const before = await readText(clients, bucket, key());
    await putItems(clients, table, [{ id: S("h-late"), fecha: S("2026-11-22T22:00:00-05:00"), estado: S("tarde") }]);
    const run = await exportDay();
    expect(run.code, run.stderr).toBe(0);
    const after = await readText(clients, bucket, key());
    expect(after).not.toBe(before);
    const ids = parse(after, { from_line: 2 }).map((r: string[]) => r[0]);
    expect(ids).toContain("h-late");
    expect(ids).toHaveLength(inside.length + 1);
    const versions = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key() }));
    expect(versions.Versions?.filter((v) => v.Key === key())).toHaveLength(2);
    const manifest = JSON.parse(await readText(clients, bucket, manifestKey()));
    expect(manifest.rows).toBe(inside.length + 1);
  });
});
