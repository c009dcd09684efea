/**
 * How much counters grew between two scrapes, PromQL's `increase` without the extrapolation:
 * per instance and series, a counter that went down means the process restarted and counted
 * from zero again, so all of its current value is new.
 */
import type { MetricSample } from './metrics-text.js';

/** What one instance answered on /metrics at one moment. */
export interface Reading {
  member: string;
  samples: readonly MetricSample[];
}

/** How much a counter grew from `before` to `after`; a series that did not exist before grew from 0. */
export function counterIncrease(before: number | undefined, after: number): number {
  if (before === undefined) return after;
  return after >= before ? after - before : after;
}

/** A stable key for one series: its name and its labels in name order. */
export function seriesKey(sample: MetricSample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(sample.labels[k])}`)
    .join(',');
  return `${sample.name}{${labels}}`;
}

/**
 * The growth of the matching series between two sets of readings, summed per group (e.g. per
 * `le` for a histogram's buckets). Only instances read both times count: one that did not
 * answer before may have counted for a long time, and its whole total is no increase.
 */
export function increases(
  before: readonly Reading[],
  after: readonly Reading[],
  match: (sample: MetricSample) => boolean,
  groupBy: (sample: MetricSample) => string = () => '',
): Map<string, number> {
  const sums = new Map<string, number>();
  const earlier = new Map(before.map((r) => [r.member, r]));
  for (const reading of after) {
    const then = earlier.get(reading.member);
    if (!then) continue;
    const old = new Map(then.samples.filter(match).map((s) => [seriesKey(s), s.value]));
    for (const sample of reading.samples) {
      if (!match(sample)) continue;
      const group = groupBy(sample);
      sums.set(group, (sums.get(group) ?? 0) + counterIncrease(old.get(seriesKey(sample)), sample.value));
    }
  }
  return sums;
}

/** The sum of the matching samples across readings (a gauge or counter total, now). */
export function total(readings: readonly Reading[], match: (sample: MetricSample) => boolean): number {
  let sum = 0;
  for (const reading of readings) for (const sample of reading.samples) if (match(sample)) sum += sample.value;
  return sum;
}

/** An increase over `ms` milliseconds as a rate per second. */
export function perSecond(increase: number, ms: number): number {
  return ms > 0 ? (increase * 1000) / ms : 0;
}
