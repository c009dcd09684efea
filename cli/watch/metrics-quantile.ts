/**
 * Percentiles from a Prometheus histogram, computed the way PromQL's `histogram_quantile` does:
 * find the bucket the rank falls in and interpolate linearly inside it. Fed with bucket
 * increases over an interval (not the all-time counts), it gives the latency of that interval.
 */

export interface Bucket {
  /** Upper bound (`le`), Infinity for the +Inf bucket. */
  le: number;
  /** Cumulative count of observations ≤ le. */
  count: number;
}

/**
 * The q-quantile (0..1) of a cumulative histogram; undefined when it holds no observation or
 * has no +Inf bucket. Like PromQL, a rank in the +Inf bucket answers the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  if (Number.isNaN(q)) return undefined;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted.at(-1)!.le !== Infinity) return undefined;
  // Counts from different scrapes may not be perfectly monotonic; a bucket never holds less than the one below.
  let floor = 0;
  const fixed = sorted.map((b) => ({ le: b.le, count: (floor = Math.max(floor, b.count)) }));
  const total = fixed.at(-1)!.count;
  if (total <= 0) return undefined;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;

  const rank = q * total;
  const index = fixed.findIndex((b) => b.count >= rank);
  if (index === fixed.length - 1) return fixed.at(-2)!.le;
  const bucket = fixed[index]!;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  const lowerBound = index === 0 ? 0 : fixed[index - 1]!.le;
  const below = index === 0 ? 0 : fixed[index - 1]!.count;
  const inBucket = bucket.count - below;
  return inBucket === 0 ? lowerBound : lowerBound + (bucket.le - lowerBound) * ((rank - below) / inBucket);
}

/** The p50, p95 and p99 of a histogram (seconds in, seconds out), with how many observations it holds. */
export function percentiles(buckets: readonly Bucket[]): { p50?: number; p95?: number; p99?: number; count: number } {
  const inf = buckets.find((b) => b.le === Infinity);
  return { p50: histogramQuantile(0.5, buckets), p95: histogramQuantile(0.95, buckets), p99: histogramQuantile(0.99, buckets), count: inf?.count ?? 0 };
}
