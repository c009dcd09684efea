import { describe, expect, it } from 'vitest';
import { checkRate, createArrivals, offeredRequests, rateAt, type RateProfile } from './arrivals.js';

function all(rate: number | RateProfile, durationMs: number): number[] {
  const arrivals = createArrivals(checkRate(rate), durationMs);
  const times: number[] = [];
  for (let t = arrivals.next(); t !== undefined; t = arrivals.next()) times.push(t);
  return times;
}

describe('createArrivals', () => {
  it('at a constant rate, request i is due at i/rate, and none at the end of the run', () => {
    expect(all(100, 1000)).toEqual(Array.from({ length: 100 }, (_, i) => i * 10));
    expect(all(3, 5000)).toHaveLength(15);
    expect(all(3, 5000).at(-1)).toBeCloseTo(14_000 / 3, 9);
  });

  it('does not drift over a long run', () => {
    const times = all(7, 3_600_000);
    expect(times).toHaveLength(25_200);
    expect(times.at(-1)).toBe((25_199 * 1000) / 7);
    expect(times[12_345]).toBe((12_345 * 1000) / 7);
  });

  it('follows steps: rate 0 before the first, each from its time on', () => {
    // 10/s for 500 ms offers 5 requests (0..400); then 100/s from 500 ms: 500, 510, … 990.
    const times = all(
      [
        { atMs: 500, rate: 100 },
        { atMs: 0, rate: 10 },
      ],
      1000,
    );
    expect(times.slice(0, 6)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(times).toHaveLength(55);
    expect(times.at(-1)).toBeCloseTo(990, 9);
    expect(all([{ atMs: 250, rate: 4 }], 1000)).toEqual([250, 500, 750]);
    expect(all([{ atMs: 0, rate: 10 }, { atMs: 300, rate: 0 }, { atMs: 700, rate: 10 }], 1000)).toEqual([0, 100, 200, 700, 800, 900]);
  });

  it('integrates a ramp given as a function (0 → 100/s over a second)', () => {
    // Offered by time T: T²/20 000, so request i is due at √(20 000·i) and 50 fit in the second.
    const times = all((t) => t / 10, 1000);
    expect(times).toHaveLength(50);
    times.forEach((t, i) => expect(Math.abs(t - Math.sqrt(20_000 * i))).toBeLessThan(1));
  });

  it('offers nothing where a function answers nonsense', () => {
    expect(all((t) => (t < 500 ? Number.NaN : 10), 1000)).toEqual([500, 600, 700, 800, 900].map((t) => expect.closeTo(t, 6)));
  });
});

describe('offeredRequests and rateAt', () => {
  it('integrates the rate', () => {
    expect(offeredRequests(100, 5000)).toBe(500);
    expect(offeredRequests([{ atMs: 0, rate: 10 }, { atMs: 500, rate: 100 }], 1000)).toBe(55);
    expect(offeredRequests((t) => t / 10, 1000)).toBeCloseTo(50, 6);
  });

  it('tells the rate asked for at a moment', () => {
    const steps = [{ atMs: 0, rate: 10 }, { atMs: 500, rate: 100 }];
    expect([rateAt(steps, 0), rateAt(steps, 499), rateAt(steps, 500)]).toEqual([10, 10, 100]);
    expect(rateAt((t) => t / 10, 400)).toBe(40);
    expect(rateAt(25, 1e9)).toBe(25);
  });
});

describe('checkRate', () => {
  it('refuses rates that offer nothing or make no sense', () => {
    expect(() => checkRate(0)).toThrow(/above 0/);
    expect(() => checkRate(Number.POSITIVE_INFINITY)).toThrow(/above 0/);
    expect(() => checkRate([])).toThrow(/at least one step/);
    expect(() => checkRate([{ atMs: -1, rate: 5 }])).toThrow(/atMs ≥ 0/);
  });
});
