import { describe, expect, it } from 'vitest';
import { histogramQuantile, percentiles } from './metrics-quantile.js';

const b = (...pairs: [number, number][]) => pairs.map(([le, count]) => ({ le, count }));

describe('histogramQuantile (as PromQL computes it)', () => {
  it('interpolates linearly inside the bucket the rank falls in', () => {
    const buckets = b([0.1, 50], [0.2, 100], [Infinity, 100]);
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.75, buckets)).toBeCloseTo(0.15);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05); // the first bucket starts at 0
    expect(histogramQuantile(1, buckets)).toBeCloseTo(0.2);
  });

  it('answers the highest finite bound when the rank lies in +Inf', () => {
    expect(histogramQuantile(0.99, b([0.005, 1], [0.01, 2], [Infinity, 100]))).toBe(0.01);
  });

  it('does not care about bucket order, and mends counts that go down', () => {
    expect(histogramQuantile(0.5, b([Infinity, 10], [0.2, 10], [0.1, 0]))).toBeCloseTo(0.15);
    // 0.2 reads lower than 0.1 (two scrapes a moment apart): treated as 0.1's count.
    expect(histogramQuantile(0.5, b([0.1, 10], [0.2, 8], [Infinity, 10]))).toBeCloseTo(0.05);
  });

  it('has no answer without observations or without a +Inf bucket', () => {
    expect(histogramQuantile(0.5, b([0.1, 0], [Infinity, 0]))).toBeUndefined();
    expect(histogramQuantile(0.5, b([0.1, 3], [0.2, 5]))).toBeUndefined();
    expect(histogramQuantile(0.5, [])).toBeUndefined();
    expect(histogramQuantile(Number.NaN, b([0.1, 1], [Infinity, 1]))).toBeUndefined();
  });

  it('answers ±Infinity for q outside 0..1', () => {
    const buckets = b([0.1, 1], [Infinity, 1]);
    expect(histogramQuantile(-0.1, buckets)).toBe(-Infinity);
    expect(histogramQuantile(1.1, buckets)).toBe(Infinity);
  });

  it('gives p50/p95/p99 with the number of observations', () => {
    // 100 requests: 90 under 5 ms, 9 between 5 and 10 ms, 1 between 10 and 25 ms.
    const p = percentiles(b([0.005, 90], [0.01, 99], [0.025, 100], [Infinity, 100]));
    expect(p.count).toBe(100);
    expect(p.p50).toBeCloseTo(0.005 * (50 / 90));
    expect(p.p95).toBeCloseTo(0.005 + 0.005 * (5 / 9));
    expect(p.p99).toBeCloseTo(0.01);
  });
});
