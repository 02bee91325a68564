import { describe, expect, it } from "vitest";
import { Gate, IN_FLIGHT_ITEMS, inFlight, MIN_PAGE_ITEMS } from "../../../../src/core/export/in-flight";

describe("what is in flight, bounded across the readers", () => {
  it("shares the budget: smaller pages for more readers, turns beyond the smallest page", () => {
    expect(IN_FLIGHT_ITEMS).toBe(1_000);
    const cases = [1, 2, 4, 8, 64].map((readers) => {
      const { pageItems, gate } = inFlight(readers, 500);
      return { readers, pageItems, slots: (gate as unknown as { free: number }).free };
    });
    expect(cases).toEqual([
      { readers: 1, pageItems: 500, slots: 2 },
      { readers: 2, pageItems: 500, slots: 2 },
      { readers: 4, pageItems: 250, slots: 4 },
      { readers: 8, pageItems: 125, slots: 8 },
      { readers: 64, pageItems: MIN_PAGE_ITEMS, slots: 10 },
    ]);
    for (const c of cases) expect(c.pageItems * Math.min(c.readers, c.slots)).toBeLessThanOrEqual(IN_FLIGHT_ITEMS);
  });

  it("never lets more than its slots in at once, and serves waiters in order", async () => {
    const gate = new Gate(2);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const release = await gate.acquire();
        inside++;
        most = Math.max(most, inside);
        order.push(i);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside--;
        release();
        release(); // a second call gives nothing back twice
      }),
    );
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
