/**
 * What the customer is told at each saga step: one email per step, written like a real one.
 * Pure: the same event always gives the same email, so a redelivery could not tell a different story.
 */
import type { NotificationKind, SagaEvent } from '../events/index.js';

/** The events that notify the customer, and the step each one tells about. */
export const NOTIFICATION_KIND_OF = {
  OrderCreated: 'order-received',
  OrderPaid: 'order-paid',
  OrderCancelled: 'order-cancelled',
} as const satisfies Record<string, NotificationKind>;

export type NotifyingEvent = SagaEvent<'OrderCreated'> | SagaEvent<'OrderPaid'> | SagaEvent<'OrderCancelled'>;

export interface Email {
  kind: NotificationKind;
  recipient: string;
  subject: string;
  body: string;
}

/**
 * Orders carry no customer, so each order gets its own address on a reserved domain
 * (RFC 2606): nothing could ever be delivered to it by mistake.
 */
export function recipientOf(orderId: string): string {
  return `customer+${orderId}@pizza-lab.example`;
}

/** "#1a2b3c4d": how an order is named to a person. */
function reference(orderId: string): string {
  return `#${orderId.slice(0, 8)}`;
}

function money(cents: number): string {
  return `${(cents / 100).toFixed(2)} EUR`;
}

const SIGNATURE = 'Your pizza-lab team';

function letter(orderId: string, paragraphs: string[]): string {
  return ['Hello,', ...paragraphs, SIGNATURE, `Order id: ${orderId}`].join('\n\n');
}

function received(event: SagaEvent<'OrderCreated'>): Omit<Email, 'recipient'> {
  const { orderId, items, totalCents, deliveryAddress, paymentMethod } = event.data;
  const lines = items.map((item) => [`  ${item.quantity} × ${item.name}`, money(item.quantity * item.unitPriceCents)] as const);
  const width = Math.max(...lines.map(([label]) => label.length), '  Total'.length) + 2;
  const table = [...lines, ['  Total', money(totalCents)] as const].map(([label, amount]) => `${label.padEnd(width)}${amount.padStart(10)}`).join('\n');
  return {
    kind: 'order-received',
    subject: `We received your order ${reference(orderId)}`,
    body: letter(orderId, [
      `Thank you for your order ${reference(orderId)}. Here is what you ordered:`,
      table,
      `Payment method: ${paymentMethod}\nDelivery address: ${deliveryAddress}`,
      'We will write again as soon as your payment is confirmed.',
    ]),
  };
}

function paid(event: SagaEvent<'OrderPaid'>): Omit<Email, 'recipient'> {
  const { orderId, amountCents, chargeId } = event.data;
  return {
    kind: 'order-paid',
    subject: `Payment confirmed for order ${reference(orderId)}`,
    body: letter(orderId, [`We received your payment of ${money(amountCents)} for order ${reference(orderId)} (charge ${chargeId}).`, 'The kitchen is on it: your pizza will be on its way shortly.']),
  };
}

function cancelled(event: SagaEvent<'OrderCancelled'>): Omit<Email, 'recipient'> {
  const { orderId, reason } = event.data;
  return {
    kind: 'order-cancelled',
    subject: `Your order ${reference(orderId)} was cancelled`,
    body: letter(orderId, [`We are sorry: your order ${reference(orderId)} was cancelled.\nReason: ${reason}`, 'You have not been charged. You are welcome to order again at any time.']),
  };
}

/** The email that tells the customer about this saga step. */
export function composeEmail(event: NotifyingEvent): Email {
  const recipient = recipientOf(event.data.orderId);
  switch (event.type) {
    case 'OrderCreated':
      return { ...received(event), recipient };
    case 'OrderPaid':
      return { ...paid(event), recipient };
    case 'OrderCancelled':
      return { ...cancelled(event), recipient };
  }
}
