/**
 * Group commit for writes that must each be durable before their caller answers: an order before
 * its 201, a charge before the provider's reply. A write starts at once while fewer than
 * `concurrency` writes are in flight, so a lone request never waits; requests that arrive while
 * every slot is busy queue, and the next free slot writes them together (up to `maxBatch`) in one
 * statement: one round trip and one commit serve them all. Batches grow with the load by
 * themselves; no request waits on a timer. Each caller gets its own item's result. If a joined
 * write fails, every caller in it gets the error (the statement is atomic, so none of it was
 * written), as each would have had from its own write.
 */
export function groupCommit<T, R>(write: (items: T[]) => Promise<R[]>, options: { concurrency?: number; maxBatch?: number; observe?: (size: number) => void } = {}): (item: T) => Promise<R> {
  // One write in flight: at 450 orders/s, POST p99 25–28 ms against 29–32 ms with two (docs/performance.md).
  const { concurrency = 1, maxBatch = 64 } = options;
  const queue: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  let inFlight = 0;
  const run = async (batch: typeof queue) => {
    options.observe?.(batch.length);
    try {
      const results = await write(batch.map((b) => b.item));
      if (results.length !== batch.length) throw new Error(`the group write answered ${results.length} results for ${batch.length} items`);
      batch.forEach((b, i) => b.resolve(results[i]!));
    } catch (error) {
      for (const b of batch) b.reject(error);
    } finally {
      inFlight--;
      next();
    }
  };
  const next = () => {
    while (inFlight < concurrency && queue.length > 0) {
      inFlight++;
      void run(queue.splice(0, maxBatch));
    }
  };
  return (item) =>
    new Promise((resolve, reject) => {
      queue.push({ item, resolve, reject });
      next();
    });
}
