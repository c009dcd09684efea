import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent } from '../events/index.js';
import { composeEmail, recipientOf } from './email.js';

const orderId = randomUUID();
const short = orderId.slice(0, 8);

describe('composeEmail', () => {
  it('tells the customer what was ordered, the total, the payment method and the address', () => {
    const event = createEvent({
      type: 'OrderCreated',
      source: 'order',
      data: {
        orderId,
        items: [
          { pizzaId: 'margherita', name: 'Margherita', quantity: 2, unitPriceCents: 850 },
          { pizzaId: 'diavola', name: 'Diavola', quantity: 1, unitPriceCents: 1050 },
        ],
        totalCents: 2750,
        currency: 'EUR',
        deliveryAddress: '1 Main Street',
        paymentMethod: 'card',
        createdAt: new Date().toISOString(),
      },
    });
    const email = composeEmail(event);
    expect(email.kind).toBe('order-received');
    expect(email.recipient).toBe(`customer+${orderId}@pizza-lab.example`);
    expect(email.subject).toBe(`We received your order #${short}`);
    expect(email.body).toContain(`Thank you for your order #${short}`);
    expect(email.body).toMatch(/2 × Margherita\s+17\.00 EUR/);
    expect(email.body).toMatch(/1 × Diavola\s+10\.50 EUR/);
    expect(email.body).toMatch(/Total\s+27\.50 EUR/);
    expect(email.body).toContain('Payment method: card');
    expect(email.body).toContain('Delivery address: 1 Main Street');
    expect(email.body.startsWith('Hello,')).toBe(true);
    expect(email.body.endsWith(`Order id: ${orderId}`)).toBe(true);
  });

  it('confirms a payment with its amount and charge', () => {
    const email = composeEmail(createEvent({ type: 'OrderPaid', source: 'payment', data: { orderId, paymentId: randomUUID(), amountCents: 1700, currency: 'EUR', chargeId: 'ch_42', attempts: 1 } }));
    expect(email).toMatchObject({ kind: 'order-paid', subject: `Payment confirmed for order #${short}`, recipient: recipientOf(orderId) });
    expect(email.body).toContain('We received your payment of 17.00 EUR');
    expect(email.body).toContain('(charge ch_42)');
  });

  it('explains a cancellation with its reason', () => {
    const email = composeEmail(createEvent({ type: 'OrderCancelled', source: 'order', data: { orderId, reason: 'payment failed: declined', cancelledAt: new Date().toISOString() } }));
    expect(email).toMatchObject({ kind: 'order-cancelled', subject: `Your order #${short} was cancelled` });
    expect(email.body).toContain('Reason: payment failed: declined');
    expect(email.body).toContain('You have not been charged');
  });

  it('writes the same email for the same event (a redelivery tells the same story)', () => {
    const event = createEvent({ type: 'OrderCancelled', source: 'order', data: { orderId, reason: 'x', cancelledAt: new Date().toISOString() } });
    expect(composeEmail(event)).toEqual(composeEmail(event));
  });
});
