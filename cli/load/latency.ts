/**
 * Latency kept in HDR histograms (the pure-JS build): constant memory however many requests,
 * and percentiles to three significant digits. Values are recorded in microseconds, because a
 * loopback answer takes a millisecond or two and whole milliseconds would blur it.
 */
import { build, type Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** Latency figures of a set of requests, in milliseconds; all 0 when there were none. */
export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** An empty histogram for latencies (it grows past a minute if it must). */
export function createLatencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Records one latency given in milliseconds. */
export function recordLatency(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

const ms = (micros: number) => Math.round(micros) / 1000;

/** min, mean, p50, p90, p95, p99 and max of a histogram, in milliseconds. */
export function summarizeLatency(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const max = histogram.maxValue;
  // A percentile is the top of its bucket, which can lie a hair above the largest value seen.
  const at = (percentile: number) => ms(Math.min(histogram.getValueAtPercentile(percentile), max));
  return { min: ms(histogram.minNonZeroValue), mean: ms(histogram.mean), p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: ms(max) };
}
