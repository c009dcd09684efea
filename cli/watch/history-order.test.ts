import { describe, expect, it } from 'vitest';
import type { WatchedRecord } from './event-stream.js';
import { createHistoryOrder } from './history-order.js';

const record = (topic: string, timestamp: number, offset = '0'): WatchedRecord => ({ topic, partition: 0, offset, timestamp, key: null, headers: {} });
const names = (records: WatchedRecord[]) => records.map((r) => `${r.topic}@${r.timestamp}`);

describe('history in time order', () => {
  it('holds history until caught up, lets it out by time, then passes live records straight through', () => {
    const out: WatchedRecord[] = [];
    const order = createHistoryOrder({ history: true, emit: (r) => out.push(r) });
    order.add(record('notification-events', 20));
    order.add(record('notification-events', 40));
    order.add(record('order-events', 10));
    order.add(record('payment-events', 30));
    expect(out).toEqual([]);
    order.caughtUp();
    expect(names(out)).toEqual(['order-events@10', 'notification-events@20', 'payment-events@30', 'notification-events@40']);
    order.add(record('order-events', 5));
    expect(names(out).at(-1)).toBe('order-events@5');
  });

  it('passes everything straight through without history, and stays bounded with a lot of it', () => {
    const out: WatchedRecord[] = [];
    const live = createHistoryOrder({ history: false, emit: (r) => out.push(r) });
    live.add(record('b', 2));
    live.add(record('a', 1));
    expect(names(out)).toEqual(['b@2', 'a@1']);

    const bounded: WatchedRecord[] = [];
    const big = createHistoryOrder({ history: true, emit: (r) => bounded.push(r), cap: 3 });
    for (const t of [3, 1, 2, 6, 5]) big.add(record('t', t));
    expect(names(bounded)).toEqual(['t@1', 't@2', 't@3']);
    big.caughtUp();
    expect(names(bounded)).toEqual(['t@1', 't@2', 't@3', 't@5', 't@6']);
  });
});
