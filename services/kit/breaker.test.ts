import { describe, expect, it } from 'vitest';
import { BreakerOpenError, createBreaker } from './breaker.js';

const fail = () => Promise.reject(new Error('503'));
const ok = () => Promise.resolve('ok');

describe('circuit breaker', () => {
  it('opens after the threshold, fails fast, lets one trial through when cool, and closes on success', async () => {
    let t = 0;
    const changes: string[] = [];
    const breaker = createBreaker({ name: 'provider', failureThreshold: 3, openMs: 1000, now: () => t, onStateChange: (s) => changes.push(s) });
    for (let i = 0; i < 3; i++) await expect(breaker.exec(fail)).rejects.toThrow('503');
    expect(breaker.state).toBe('open');
    const fast = await breaker.exec(ok).catch((e: unknown) => e);
    expect(fast).toBeInstanceOf(BreakerOpenError);
    expect((fast as BreakerOpenError).retryInMs).toBe(1000);
    t = 1000;
    expect(breaker.state).toBe('half-open');
    await expect(breaker.exec(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens when the trial fails', async () => {
    let t = 0;
    const breaker = createBreaker({ name: 'p', failureThreshold: 1, openMs: 500, now: () => t });
    await expect(breaker.exec(fail)).rejects.toThrow();
    t = 600;
    await expect(breaker.exec(fail)).rejects.toThrow('503');
    expect(breaker.state).toBe('open');
    expect(breaker.retryInMs()).toBe(500);
  });

  it('does not count answers that are not failures (a decline)', async () => {
    const breaker = createBreaker({ name: 'p', failureThreshold: 1, isFailure: (e) => (e as Error).message !== 'declined' });
    await expect(breaker.exec(() => Promise.reject(new Error('declined')))).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });
});
