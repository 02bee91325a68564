import { describe, expect, it } from "vitest";
import { readAuditHistory } from "../../../../src/core/audit/history";

describe("readAuditHistory option checks (before any request)", () => {
  const never = { send: () => Promise.reject(new Error("no request expected")) };
  const base = { tableName: "Audit", indexName: "idx", itemKey: "K" };

  it("refuses a window that ends before it starts", async () => {
    await expect(
      readAuditHistory(never, { ...base, since: "2026-11-23T00:00:00.000Z", until: "2026-11-22T00:00:00.000Z" }),
    ).rejects.toThrow(/is after --until/);
  });

  it("refuses a limit that is not a positive integer", async () => {
    await expect(readAuditHistory(never, { ...base, limit: 0 })).rejects.toMatchObject({ exitCode: 2 });
  });
});
