// When the export may trust the day index, and why it scans otherwise: every condition of
// stamp/trust.ts on its own, with a table description shaped as DescribeTable returns it.
import type { DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { dayWindow } from "../../../../../src/core/export/day-window";
import { freshLedger, type Ledger } from "../../../../../src/core/export/stamp/ledger";
import { UNREADABLE_DAY } from "../../../../../src/core/export/stamp/stamp-item";
import { queryComplete, type TrustInput, trustDayIndex } from "../../../../../src/core/export/stamp/trust";

const STREAM = "arn:aws:dynamodb:eu-west-1:111122223333:table/dev-TRAZABILIDAD/stream/2026-11-01T00:00:00.000";
const ZONE = "Europe/Madrid";
const DAY = "2026-11-20";
const NOW = Date.parse("2026-11-21T18:00:00Z");
const SLACK = 15 * 60_000;

function table(index: Record<string, unknown> = {}): DescribeTableCommandOutput["Table"] {
  return {
    LatestStreamArn: STREAM,
    AttributeDefinitions: [
      { AttributeName: "id", AttributeType: "S" },
      { AttributeName: "dia", AttributeType: "S" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: "dia-index",
        IndexStatus: "ACTIVE",
        KeySchema: [{ AttributeName: "dia", KeyType: "HASH" }],
        Projection: { ProjectionType: "ALL" },
        ...index,
      },
    ],
  };
}

function ledger(change: (l: Ledger) => void = () => {}): Ledger {
  const l = freshLedger("dev-TRAZABILIDAD", STREAM, ZONE, NOW - 86_400_000);
  l.coverage.sweep = { startedAt: NOW - 86_000_000, finishedAt: NOW - 85_000_000, scanned: 10, stamped: 3 };
  l.watermark = NOW - 70_000;
  change(l);
  return l;
}

const input = (over: Partial<TrustInput> = {}): TrustInput => ({
  description: table(),
  ledger: ledger(),
  days: [DAY],
  timeZone: ZONE,
  now: NOW,
  slackMs: SLACK,
  ...over,
});

describe("trustDayIndex", () => {
  it("queries when the ledger shows every write up to a minute ago stamped", () => {
    expect(trustDayIndex(input())).toEqual({
      readPath: "query",
      reason: `every write before ${new Date(NOW - 70_000).toISOString()} carries its dia`,
      watermark: NOW - 70_000,
    });
  });

  it.each([
    ["the table has no index", { description: { ...table(), GlobalSecondaryIndexes: [] } }, "no dia-index"],
    ["the index is backfilling", { description: table({ IndexStatus: "CREATING" }) }, "is CREATING"],
    ["the index projects less than ALL", { description: table({ Projection: { ProjectionType: "KEYS_ONLY" } }) }, "projects KEYS_ONLY"],
    ["no ledger yet", { ledger: null }, "stamper has not run"],
    ["the ledger could not be read", { ledger: undefined, ledgerUnknown: "denied" }, "denied"],
    ["another stream", { ledger: ledger((l) => Object.assign(l, { streamArn: "arn:other" })) }, "another stream"],
    ["another zone", { timeZone: "UTC" }, "stamped in Europe/Madrid"],
    ["the sweep is running", { ledger: ledger((l) => delete l.coverage.sweep.finishedAt) }, "still sweeping"],
    ["too many failures", { ledger: ledger((l) => Object.assign(l, { failuresOverflow: true })) }, "more records failed"],
    ["the stamping is 16 minutes behind", { ledger: ledger((l) => Object.assign(l, { watermark: NOW - 16 * 60_000 })) }, "behind"],
  ] as const)("scans when %s", (_, over, reason) => {
    const trust = trustDayIndex(input(over as Partial<TrustInput>));
    expect(trust.readPath).toBe("scan");
    expect(trust.reason).toContain(reason);
    expect(trust.watermark).toBeUndefined();
  });

  it("scans a day with a record that could not take its stamp, and only that day", () => {
    const failure = { key: '{"id":{"S":"big"}}', day: DAY, kept: "index/t/failed/x.json", reason: "ValidationException: too big", at: NOW };
    const withFailure = ledger((l) => l.failures.push(failure));
    expect(trustDayIndex(input({ ledger: withFailure })).reason).toContain(`1 record(s) of ${DAY} could not be stamped`);
    expect(trustDayIndex(input({ ledger: withFailure, days: ["2026-11-19"] })).readPath).toBe("query");
  });

  it("a record with an unreadable fecha that could not be stamped makes every day scan (its count would be missed)", () => {
    const withFailure = ledger((l) => l.failures.push({ key: "k", day: UNREADABLE_DAY, kept: "x", reason: "r", at: NOW }));
    expect(trustDayIndex(input({ ledger: withFailure, days: ["2026-11-19"] })).readPath).toBe("scan");
  });
});

describe("queryComplete", () => {
  it("is true once the watermark has passed the day's end plus the slack", () => {
    const end = dayWindow(DAY, ZONE).end;
    expect(queryComplete(DAY, ZONE, end + SLACK, SLACK)).toBe(true);
    expect(queryComplete(DAY, ZONE, end + SLACK - 1, SLACK)).toBe(false);
  });
});
