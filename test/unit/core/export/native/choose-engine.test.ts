import { describe, expect, it } from "vitest";
import { chooseEngine } from "../../../../../src/core/export/native/choose-engine";

describe("chooseEngine", () => {
  it("estimates a day as ItemCount over the retention and goes native above the threshold", () => {
    expect(chooseEngine({ itemCount: 70_000_007, retentionDays: 7, nativeAboveRows: 10_000_000, dayIndex: true })).toEqual({
      engine: "native",
      estimatedRowsPerDay: 10_000_001,
    });
    expect(chooseEngine({ itemCount: 70_000_000, retentionDays: 7, nativeAboveRows: 10_000_000, dayIndex: true })).toEqual({
      engine: "query",
      estimatedRowsPerDay: 10_000_000,
    });
  });

  it("stays on the table's read path when the threshold is unset, by the day index", () => {
    expect(chooseEngine({ itemCount: 1e12, retentionDays: 7, nativeAboveRows: undefined, dayIndex: true }).engine).toBe("query");
    expect(chooseEngine({ itemCount: 1e12, retentionDays: 7, nativeAboveRows: undefined, dayIndex: false }).engine).toBe("scan");
    expect(chooseEngine({ itemCount: 10, retentionDays: 7, nativeAboveRows: 1_000, dayIndex: false }).engine).toBe("scan");
  });
});
