import { randomUUID } from 'node:crypto';
import { createEvent } from '../../services/events/index.js';

/** An OrderCreated as the order service would emit it: two margheritas, €17.00. */
export function orderCreated(options: { orderId?: string; paymentMethod?: string; deliveryAddress?: string } = {}) {
  return createEvent({
    type: 'OrderCreated',
    source: 'order',
    data: {
      orderId: options.orderId ?? randomUUID(),
      items: [{ pizzaId: 'margherita', name: 'Margherita', quantity: 2, unitPriceCents: 850 }],
      totalCents: 1700,
      currency: 'EUR',
      deliveryAddress: options.deliveryAddress ?? '1 Test Street',
      paymentMethod: options.paymentMethod ?? 'card',
      createdAt: new Date().toISOString(),
    },
  });
}
