import type { TableDescription } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { dayOfFecha } from "../../../../src/core/export/fecha-day";
import { hasDayIndex } from "../../../../src/core/export/read-query";

const indexed = (overrides: Partial<NonNullable<TableDescription["GlobalSecondaryIndexes"]>[number]> = {}): TableDescription => ({
  AttributeDefinitions: [
    { AttributeName: "id", AttributeType: "S" },
    { AttributeName: "dia", AttributeType: "S" },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: "dia-index",
      KeySchema: [{ AttributeName: "dia", KeyType: "HASH" }],
      Projection: { ProjectionType: "ALL" },
      IndexStatus: "ACTIVE",
      ...overrides,
    },
  ],
});

describe("day index detection", () => {
  it("accepts only an ACTIVE dia-index on dia with projection ALL", () => {
    expect(hasDayIndex(indexed())).toBe(true);
    expect(hasDayIndex({ AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }] })).toBe(false);
    expect(hasDayIndex(indexed({ IndexStatus: "CREATING" }))).toBe(false);
    expect(hasDayIndex(indexed({ Projection: { ProjectionType: "KEYS_ONLY" } }))).toBe(false);
    expect(hasDayIndex(indexed({ KeySchema: [{ AttributeName: "fecha", KeyType: "HASH" }] }))).toBe(false);
  });
});

describe("dayOfFecha (what the stamper puts in dia)", () => {
  it("is the business day of the instant, or the plain date as written", () => {
    expect(dayOfFecha({ S: "2026-11-22T23:30:00Z" }, "Europe/Madrid")).toBe("2026-11-23");
    expect(dayOfFecha({ S: "2026-11-22T23:30:00Z" }, "America/Bogota")).toBe("2026-11-22");
    expect(dayOfFecha({ S: "2026-11-22" }, "Pacific/Kiritimati")).toBe("2026-11-22");
    expect(dayOfFecha({ N: "1795391999" }, "UTC")).toBe("2026-11-22");
    expect(dayOfFecha({ S: "yesterday" }, "UTC")).toBeUndefined();
  });
});
