// The audit operations check the request before asking for any client or stack output.
import { describe, expect, it } from "vitest";
import { type AuditSettings, auditShow, parseLimit } from "../../../../src/core/audit/operations";
import { silentReporter } from "../../../../src/core/reporter";

const untouchable: AuditSettings = {
  clients: () => Promise.reject(new Error("no client expected before validation")),
  env: () => {
    throw new Error("no environment expected before validation");
  },
  reporter: silentReporter,
  signal: new AbortController().signal,
};

describe("audit operations", () => {
  it("parseLimit: a positive whole number, or nothing", () => {
    expect(parseLimit(undefined)).toBeUndefined();
    expect(parseLimit("20")).toBe(20);
    for (const bad of ["0", "-1", "2.5", "ten", ""]) expect(() => parseLimit(bad)).toThrow(`--limit ${JSON.stringify(bad)}`);
  });

  it("auditShow refuses a bad window or limit before touching AWS", async () => {
    await expect(auditShow(untouchable, { key: "K", since: "yesterday" })).rejects.toThrow('--since "yesterday" is not a date');
    await expect(auditShow(untouchable, { key: "K", since: "2026-11-22", until: "2026-11-22" })).rejects.toThrow(/is not before --until/);
    await expect(auditShow(untouchable, { key: "K", limit: "0" })).rejects.toThrow('--limit "0"');
  });
});
