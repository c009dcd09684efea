import { describe, expect, it } from 'vitest';
import { TransientError } from './errors.js';
import { backoffDelay, retry, RetriesExhaustedError } from './retry.js';

describe('backoffDelay', () => {
  it('is full jitter under an exponential ceiling with a cap', () => {
    const options = { initialMs: 100, maxMs: 1000 };
    expect(backoffDelay(1, { ...options, random: () => 1 })).toBe(100);
    expect(backoffDelay(3, { ...options, random: () => 1 })).toBe(400);
    expect(backoffDelay(10, { ...options, random: () => 1 })).toBe(1000);
    expect(backoffDelay(3, { ...options, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...options, random: () => 0.5 })).toBe(200);
  });
});

describe('retry', () => {
  it('retries transient errors until one attempt works', async () => {
    const seen: number[] = [];
    const result = await retry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new TransientError('provider said 503');
        return 'charged';
      },
      { initialMs: 1, maxMs: 2 },
    );
    expect(result).toBe('charged');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('never retries a programming error', async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new TypeError('undefined is not a function');
      }),
    ).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });

  it('says how many times and how long it tried when it gives up', async () => {
    const error = await retry(async () => Promise.reject(new TransientError('still down')), { attempts: 3, initialMs: 1, maxMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(3);
    expect((error as Error).message).toMatch(/^gave up after 3 attempts in \d+ ms: still down$/);
  });
});
