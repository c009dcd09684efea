import { describe, expect, it } from 'vitest';
import { createRandom } from './random.js';
import { resolveTime } from './runner.js';

describe('seeded randomness', () => {
  it('repeats for the same seed and differs for another', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('resolves fixed and random scenario times, scaled for --quick', () => {
    const random = createRandom(7);
    expect(resolveTime('10s', 1, random)).toBe(10_000);
    expect(resolveTime('10s', 0.2, random)).toBe(2000);
    const t = resolveTime('5s..15s', 1, createRandom(7));
    expect(t).toBeGreaterThanOrEqual(5000);
    expect(t).toBeLessThanOrEqual(15_000);
    expect(resolveTime('5s..15s', 1, createRandom(7))).toBe(t);
  });
});
