import { describe, expect, it } from 'vitest';
import type { WatchedRecord } from './event-stream.js';
import { createTailStats } from './tail-stats.js';

const valid = (type: string) => ({ topic: 't', partition: 0, offset: '0', timestamp: 0, key: null, headers: {}, event: { type } }) as unknown as WatchedRecord;
const invalid = { topic: 't', partition: 0, offset: '0', timestamp: 0, key: null, headers: {}, invalid: { kind: 'malformed', message: 'x' } } as WatchedRecord;

describe('the tail footer figures', () => {
  it('counts per type in saga order, and records that are not events apart', () => {
    const stats = createTailStats({ startedAt: 0 });
    for (const type of ['OrderPaid', 'OrderCreated', 'OrderCreated', 'NotificationSent']) stats.add(valid(type), 500);
    stats.add(invalid, 500);
    const f = stats.figures(1000);
    expect(f.total).toBe(5);
    expect(f.invalid).toBe(1);
    expect(f.byType).toEqual([
      { type: 'OrderCreated', count: 2 },
      { type: 'OrderPaid', count: 1 },
      { type: 'NotificationSent', count: 1 },
    ]);
  });

  it('gives the rate over the last seconds, not since the start', () => {
    const stats = createTailStats({ windowMs: 5000, startedAt: 0 });
    for (let i = 0; i < 100; i++) stats.add(valid('OrderCreated'), 1000 + i); // a burst at 1 s
    for (let t = 20_000; t < 30_000; t += 100) stats.add(valid('OrderPaid'), t); // then 10 a second
    expect(stats.figures(30_000).perSecond).toBeCloseTo(10, 0);
    expect(stats.figures(60_000).perSecond).toBe(0);
    // The first events do not read as hundreds a second.
    const early = createTailStats({ startedAt: 0 });
    early.add(valid('OrderCreated'), 50);
    expect(early.figures(100).perSecond).toBe(1);
  });
});
