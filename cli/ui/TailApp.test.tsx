import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { render as inkRender } from 'ink';
import { Chalk } from 'chalk';
import type { KafkaMessage } from 'kafkajs';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { createEvent, encodeEvent } from '../../services/events/index.js';
import { createEventFeed, formatRecord, toWatched, type WatchedRecord } from '../watch/index.js';
import { TailApp } from './TailApp.js';

const plain = new Chalk({ level: 0 });
const format = (record: WatchedRecord) => formatRecord(record, { color: plain });
const message = (key: string, value: string, headers: Record<string, string>, offset: string): KafkaMessage =>
  ({ key: Buffer.from(key), value: Buffer.from(value), headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])), offset, timestamp: String(Date.now()), attributes: 0 }) as KafkaMessage;

function created(orderId: string, offset: string) {
  const e = encodeEvent(createEvent({ type: 'OrderCreated', source: 'order', data: { orderId, items: [{ pizzaId: 'margherita', name: 'Margherita', quantity: 2, unitPriceCents: 850 }], totalCents: 1700, currency: 'EUR', deliveryAddress: '1 Lab St', paymentMethod: 'card', createdAt: new Date().toISOString() } }));
  return toWatched(e.topic, 0, message(e.key!, e.value, e.headers, offset));
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TailApp', () => {
  it('prints each record once above a footer with counts per type and the rate', async () => {
    const feed = createEventFeed();
    const { lastFrame, frames } = render(<TailApp feed={feed} format={format} scope="new events · order 3f2a9c1e" flushMs={20} />);
    expect(lastFrame()).toContain('0 events · 0.0/s');
    expect(lastFrame()).toContain('reading history… · new events · order 3f2a9c1e · Ctrl-C stops');

    const first = randomUUID();
    const second = randomUUID();
    feed.push(created(first, '1'));
    feed.push(created(second, '2'));
    await tick(80);
    feed.push(toWatched('order-events', 0, message('poison', '%%%', {}, '3')));
    feed.markCaughtUp();
    await tick(80);

    const text = lastFrame()!;
    expect(text).toMatch(new RegExp(`OrderCreated\\s+${first.slice(0, 8)}  2× Margherita — total €17.00`));
    expect(text).toMatch(new RegExp(`OrderCreated\\s+${second.slice(0, 8)}`));
    expect(text).toMatch(/NOT AN EVENT\s+key poison\s+malformed: not a CloudEvent/);
    expect(text).toMatch(/3 events · \d+\.\d\/s · OrderCreated 2 · not an event 1/);
    expect(text).toContain('live · new events');
    // Printed once each, in arrival order, above the footer.
    expect(text.split(first.slice(0, 8)).length - 1).toBe(1);
    const lines = text.split('\n');
    expect(lines.findIndex((l) => l.includes(first.slice(0, 8)))).toBeLessThan(lines.findIndex((l) => l.includes('NOT AN EVENT')));
    expect(lines.findIndex((l) => l.includes('NOT AN EVENT'))).toBeLessThan(lines.findIndex((l) => l.includes('3 events')));

    feed.close();
    await tick(100);
    expect(frames.length).toBeGreaterThan(0);
    expect(lastFrame()).toMatch(/3 events/);
  });

  it('ends once the feed is closed and its last records are printed (what the command waits for)', async () => {
    const written: string[] = [];
    const stdout = Object.assign(new EventEmitter(), { columns: 100, rows: 30, isTTY: false, write: (text: string) => written.push(text) > 0 });
    const feed = createEventFeed();
    const app = inkRender(<TailApp feed={feed} format={format} scope="test" flushMs={20} />, { stdout: stdout as unknown as NodeJS.WriteStream, debug: true, patchConsole: false });
    const orderId = randomUUID();
    feed.push(created(orderId, '9'));
    feed.close();
    const ended = await Promise.race([app.waitUntilExit().then(() => 'ended'), tick(2000).then(() => 'still running')]);
    expect(ended).toBe('ended');
    expect(written.join('')).toContain(orderId.slice(0, 8));
  });
});
