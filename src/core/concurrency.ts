/**
 * The one concurrency limiter: at most `size` tasks run at once, the rest wait their turn in order.
 * The stream handler uses it so a batch of 1,000 records does not open 1,000 requests; `mapLimit`
 * runs a list through it.
 */
import { interruptedError } from "./errors";

export function createLimiter(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`concurrency must be a positive integer, got ${size}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in between.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/**
 * Runs `work` over `items` with at most `limit` in flight; results in input order. The first
 * failure rejects the whole (items already started finish on their own). With `signal`, no item
 * starts once it is aborted: the call rejects as interrupted.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const run = createLimiter(limit);
  return Promise.all(
    items.map((item, index) =>
      run(async () => {
        if (signal?.aborted) throw interruptedError();
        return work(item, index);
      }),
    ),
  );
}
