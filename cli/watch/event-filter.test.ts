import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createEvent, encodeEvent } from '../../services/events/index.js';
import { toWatched } from './event-stream.js';
import { createEventFilter, parseOrderPrefix } from './event-filter.js';

const message = (key: string | null, value: string, headers: Record<string, string> = {}): KafkaMessage =>
  ({ key: key === null ? null : Buffer.from(key), value: Buffer.from(value), headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])), offset: '7', timestamp: '1700000000000', attributes: 0 }) as KafkaMessage;

function paid(orderId: string) {
  const encoded = encodeEvent(createEvent({ type: 'OrderPaid', source: 'payment', data: { orderId, paymentId: randomUUID(), amountCents: 900, currency: 'EUR', chargeId: 'ch_1', attempts: 1 } }));
  return toWatched(encoded.topic, 0, message(encoded.key, encoded.value, encoded.headers));
}

describe('tail events filters', () => {
  const orderId = '3f2a9c1e-0000-4000-8000-000000000001';
  const other = '3f2a9c1f-0000-4000-8000-000000000002';
  const poison = toWatched('order-events', 1, message(orderId, '{not json', { ce_specversion: '1.0', ce_id: 'x', ce_type: 'OrderCreated' }));
  const anonymousPoison = toWatched('order-events', 1, message('junk-key', 'garbage'));

  it('matches an order by id or by a prefix, in any case', () => {
    expect(createEventFilter({ order: orderId })(paid(orderId))).toBe(true);
    expect(createEventFilter({ order: orderId.slice(0, 8).toUpperCase() })(paid(orderId))).toBe(true);
    expect(createEventFilter({ order: '3f2a9c1e' })(paid(other))).toBe(false);
    expect(createEventFilter({ order: '3f2a9c1' + 'f-0000' })(paid(other))).toBe(true);
  });

  it('matches types and topics; an invalid record by the type it claims and by its key', () => {
    expect(createEventFilter({ types: ['OrderPaid'] })(paid(orderId))).toBe(true);
    expect(createEventFilter({ types: ['OrderCreated'] })(paid(orderId))).toBe(false);
    expect(createEventFilter({ topics: ['payment-events'] })(paid(orderId))).toBe(true);
    expect(createEventFilter({ topics: ['order-events'] })(paid(orderId))).toBe(false);
    expect(createEventFilter({ types: ['OrderCreated'], order: orderId })(poison)).toBe(true);
    expect(createEventFilter({ types: ['OrderCreated'] })(anonymousPoison)).toBe(false);
    expect(createEventFilter({ order: orderId })(anonymousPoison)).toBe(false);
    expect(createEventFilter({})(anonymousPoison)).toBe(true);
  });

  it('accepts an order id or a prefix of 8+ hex characters and dashes, nothing else', () => {
    expect(parseOrderPrefix(' 3F2A9C1E ')).toBe('3f2a9c1e');
    expect(parseOrderPrefix(orderId)).toBe(orderId);
    expect(() => parseOrderPrefix('3f2a9c1')).toThrow(/first 8\+ characters/);
    expect(() => parseOrderPrefix('not-an-order')).toThrow(/--order/);
    expect(() => parseOrderPrefix(`${orderId}0`)).toThrow(/--order/);
  });
});
