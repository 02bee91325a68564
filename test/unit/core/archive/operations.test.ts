import { describe, expect, it } from "vitest";
import { archivedTableName } from "../../../../src/core/archive/operations";

describe("--table names", () => {
  const env = {
    stage: "dev",
    prefix: "dev-",
    archivedTables: ["TRAZABILIDAD", "Configuration"] as ("TRAZABILIDAD" | "Configuration")[],
    retentionDays: 7,
  };

  it("gives the seed name of an archived table the environment's prefix", () => {
    expect(archivedTableName(env, "TRAZABILIDAD")).toBe("dev-TRAZABILIDAD");
    expect(archivedTableName(env, "Configuration")).toBe("dev-Configuration");
  });

  it("keeps physical names, other tables, and everything when there is no prefix", () => {
    expect(archivedTableName(env, "dev-TRAZABILIDAD")).toBe("dev-TRAZABILIDAD");
    expect(archivedTableName(env, "restore-scratch")).toBe("restore-scratch");
    expect(archivedTableName({ ...env, prefix: "" }, "TRAZABILIDAD")).toBe("TRAZABILIDAD");
  });
});
