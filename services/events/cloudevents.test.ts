import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, decodeEvent, encodeEvent, traceIdOf } from './index.js';

const orderId = randomUUID();
const created = () =>
  createEvent({
    type: 'OrderCreated',
    source: 'order',
    data: {
      orderId,
      items: [{ pizzaId: 'margherita', name: 'Margherita', quantity: 2, unitPriceCents: 850 }],
      totalCents: 1700,
      currency: 'EUR',
      deliveryAddress: '1 Main Street',
      paymentMethod: 'card',
      createdAt: new Date().toISOString(),
    },
  });

describe('CloudEvents binary mode', () => {
  it('puts the attributes in ce_* headers, the order id in the key and the data in the value', () => {
    const event = created();
    const encoded = encodeEvent(event);
    expect(encoded.topic).toBe('order-events');
    expect(encoded.key).toBe(orderId);
    expect(encoded.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_type: 'OrderCreated',
      ce_source: '/services/order',
      ce_subject: orderId,
      'content-type': 'application/json',
    });
    expect(encoded.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(JSON.parse(encoded.value)).toEqual(event.data);
  });

  it('decodes what it encodes', () => {
    const event = created();
    const encoded = encodeEvent(event);
    const decoded = decodeEvent({ key: Buffer.from(encoded.key!), value: Buffer.from(encoded.value), headers: Object.fromEntries(Object.entries(encoded.headers).map(([k, v]) => [k, Buffer.from(v)])) });
    expect(decoded).toEqual({ ok: true, event });
  });

  it('keeps one trace across the saga: a caused event shares the trace id', () => {
    const first = created();
    const paid = createEvent({ type: 'OrderPaid', source: 'payment', cause: first.traceparent, data: { orderId, paymentId: randomUUID(), amountCents: 1700, currency: 'EUR', chargeId: 'ch_1', attempts: 1 } });
    expect(traceIdOf(paid.traceparent)).toBe(traceIdOf(first.traceparent));
    expect(paid.traceparent).not.toBe(first.traceparent);
  });

  it('refuses to create an event with wrong data', () => {
    expect(() => createEvent({ type: 'OrderCancelled', source: 'order', data: { orderId: 'not-a-uuid', reason: 'x', cancelledAt: new Date().toISOString() } })).toThrow();
  });

  it('names what is wrong with a bad record instead of throwing', () => {
    const headers = { ce_specversion: '1.0', ce_id: 'x', ce_type: 'OrderPaid' };
    expect(decodeEvent({ key: null, value: Buffer.from('{oops'), headers: {} })).toMatchObject({ ok: false, kind: 'malformed' });
    expect(decodeEvent({ key: null, value: Buffer.from('{oops'), headers })).toMatchObject({ ok: false, kind: 'malformed', type: 'OrderPaid' });
    expect(decodeEvent({ key: null, value: Buffer.from('{}'), headers: { ...headers, ce_type: 'PizzaEaten' } })).toMatchObject({ ok: false, kind: 'unknown-type', message: 'unknown event type "PizzaEaten"' });
    const invalid = decodeEvent({ key: null, value: Buffer.from(JSON.stringify({ orderId })), headers });
    expect(invalid).toMatchObject({ ok: false, kind: 'invalid' });
    expect((invalid as { message: string }).message).toMatch(/^OrderPaid data invalid at paymentId/);
  });
});
