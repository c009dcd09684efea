import { describe, expect, it } from 'vitest';
import { createLatencyHistogram, recordLatency, summarizeLatency } from './latency.js';

describe('summarizeLatency', () => {
  it('gives min, mean, percentiles and max in ms, to three significant digits', () => {
    const histogram = createLatencyHistogram();
    for (let ms = 1; ms <= 100; ms++) recordLatency(histogram, ms);
    const summary = summarizeLatency(histogram);
    const within = (value: number, expected: number) => expect(Math.abs(value - expected) / expected).toBeLessThan(0.001);
    within(summary.min, 1);
    within(summary.mean, 50.5);
    within(summary.p50, 50);
    within(summary.p90, 90);
    within(summary.p95, 95);
    within(summary.p99, 99);
    expect(summary.max).toBe(100);
  });

  it('keeps sub-millisecond latencies apart', () => {
    const histogram = createLatencyHistogram();
    for (let i = 0; i < 90; i++) recordLatency(histogram, 0.25);
    for (let i = 0; i < 10; i++) recordLatency(histogram, 0.75);
    expect(summarizeLatency(histogram)).toMatchObject({ min: 0.25, p50: 0.25, p90: 0.25, p95: 0.75, max: 0.75 });
  });

  it('takes outliers far beyond the usual range (a 2-minute wait)', () => {
    const histogram = createLatencyHistogram();
    recordLatency(histogram, 2);
    recordLatency(histogram, 120_000);
    expect(summarizeLatency(histogram).max).toBe(120_000);
  });

  it('is all zeros when nothing was recorded', () => {
    expect(summarizeLatency(createLatencyHistogram())).toEqual({ min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });
  });
});
