/**
 * How much of the table is in flight at once: items the reads have asked for and not yet
 * spooled (a page is parsed by the SDK as soon as it arrives, whether or not the export is ready
 * for it). Bounded across all the parallel readers (scan segments, query partitions) rather than
 * per reader, so memory stays flat whatever the parallelism and however fast the backend answers:
 * with more readers each asks for smaller pages (down to MIN_PAGE_ITEMS), and beyond that they take
 * turns for the budget's slots. Measured with `npm run bench -- export-fast` (docs/export.md).
 */

/** Items all readers together may hold parsed but not yet spooled. */
export const IN_FLIGHT_ITEMS = 1_000;
/** The smallest page a reader asks for (more readers than the budget allows then take turns). */
export const MIN_PAGE_ITEMS = 100;

/** A counting semaphore: at most `slots` holders at once, served in arrival order. */
export class Gate {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = Math.max(1, slots);
  }

  /** Waits for a slot; returns the function that gives it back. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/**
 * The page size each of `readers` asks for and the gate they share, so that at most `budget`
 * items are in flight: `budget / readers` items a page (at most `maxPage`, at least MIN_PAGE_ITEMS)
 * and `budget / page` pages at once.
 */
export function inFlight(readers: number, maxPage: number, budget = IN_FLIGHT_ITEMS): { pageItems: number; gate: Gate } {
  const pageItems = Math.max(MIN_PAGE_ITEMS, Math.min(maxPage, Math.floor(budget / Math.max(1, readers))));
  return { pageItems, gate: new Gate(Math.floor(budget / pageItems)) };
}
