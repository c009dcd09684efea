import { describe, expect, it } from 'vitest';
import { createTokenBucket } from './token-bucket.js';

describe('token bucket', () => {
  it('lets a full burst through at once, then says how long until the next token', () => {
    let t = 0;
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 3, now: () => t });
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.take()).toBe(100);
    t = 40;
    expect(bucket.take()).toBe(60);
  });

  it('refills at the rate and never beyond the burst', () => {
    let t = 0;
    const bucket = createTokenBucket({ ratePerSecond: 2, burst: 2, now: () => t });
    bucket.take();
    bucket.take();
    t = 500;
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBeGreaterThan(0);
    t = 60_000; // a long quiet spell still leaves only `burst` tokens
    expect([bucket.take(), bucket.take()]).toEqual([0, 0]);
    expect(bucket.take()).toBe(500);
  });

  it('holds the average rate under a steady flood', () => {
    let t = 0;
    const bucket = createTokenBucket({ ratePerSecond: 100, burst: 10, now: () => t });
    let passed = 0;
    for (; t < 10_000; t += 1) if (bucket.take() === 0) passed++;
    expect(passed).toBeGreaterThanOrEqual(1000);
    expect(passed).toBeLessThanOrEqual(1010);
  });

  it('refuses settings that could never let anything through', () => {
    expect(() => createTokenBucket({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createTokenBucket({ ratePerSecond: 1, burst: 0.5 })).toThrow(/burst/);
  });
});
