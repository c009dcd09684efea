import { describe, expect, it } from 'vitest';
import { counterIncrease, increases, perSecond, seriesKey, total, type Reading } from './metrics-rate.js';
import { parseMetricsText } from './metrics-text.js';

const reading = (member: string, text: string): Reading => ({ member, samples: parseMetricsText(text) });

describe('counter increases', () => {
  it('is the difference, or the whole value after a restart, or all of it for a new series', () => {
    expect(counterIncrease(10, 15)).toBe(5);
    expect(counterIncrease(10, 3)).toBe(3);
    expect(counterIncrease(undefined, 4)).toBe(4);
  });

  it('sums per group across instances, only for instances read both times', () => {
    const before = [reading('order', 'c{status="PAID"} 10\nc{status="CANCELLED"} 1'), reading('order-2', 'c{status="PAID"} 100')];
    const after = [
      reading('order', 'c{status="PAID"} 14\nc{status="CANCELLED"} 1'),
      reading('order-2', 'c{status="PAID"} 2'), // restarted: counts from zero again
      reading('order-3', 'c{status="PAID"} 500'), // not read before: unknown increase
    ];
    const byStatus = increases(before, after, (s) => s.name === 'c', (s) => s.labels.status!);
    expect(Object.fromEntries(byStatus)).toEqual({ PAID: 6, CANCELLED: 0 });
    expect(increases(before, after, (s) => s.name === 'c').get('')).toBe(6);
  });

  it('counts a series that appeared since the last reading from zero', () => {
    const before = [reading('order', 'other 1')];
    const after = [reading('order', 'h_bucket{le="0.1"} 3\nh_bucket{le="+Inf"} 4')];
    expect(Object.fromEntries(increases(before, after, (s) => s.name === 'h_bucket', (s) => s.labels.le!))).toEqual({ '0.1': 3, '+Inf': 4 });
  });

  it('keys series by name and labels in any order; totals and rates', () => {
    expect(seriesKey({ name: 'x', labels: { b: '2', a: '1' }, value: 0 })).toBe(seriesKey({ name: 'x', labels: { a: '1', b: '2' }, value: 9 }));
    expect(total([reading('a', 'g 2'), reading('b', 'g 3\nh 9')], (s) => s.name === 'g')).toBe(5);
    expect(perSecond(30, 2000)).toBe(15);
    expect(perSecond(30, 0)).toBe(0);
  });
});
