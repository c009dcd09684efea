/**
 * The order side of the saga: a payment event moves its order to the terminal state, in one
 * transaction with the inbox record (a redelivered event changes nothing) and, when the payment
 * failed, the OrderCancelled event (the compensation) in the outbox. A fetched batch of events
 * is one transaction: the same guarantees, a fraction of the round trips.
 */
import { createEvent, type SagaEvent } from '../events/index.js';
import { appendToOutbox, claimEvents, withTransaction, type BatchResult, type HandlerContext, type ServiceKit } from '../kit/index.js';
import { insertHistory, lockOrders, setStatuses, type StatusChange } from './store.js';

export interface SagaOutcome {
  status: 'PAID' | 'CANCELLED';
  createdAt: Date;
}

export function createPaymentHandler(kit: ServiceKit, consumer: string, onTerminal: (outcome: SagaOutcome) => void) {
  return async (events: SagaEvent[], context: HandlerContext): Promise<BatchResult[]> => {
    const outcomes: SagaOutcome[] = [];
    const results = await withTransaction(kit.pool, async (client) => {
      const fresh = await claimEvents(client, consumer, events);
      const orders = await lockOrders(client, [...new Set(events.filter((e) => fresh.has(e.id)).map((e) => e.subject!))]);
      const changes: StatusChange[] = [];
      const cancellations: SagaEvent[] = [];
      const results = events.map((event): BatchResult => {
        if (!fresh.has(event.id)) return 'duplicate';
        const order = orders.get(event.subject!);
        if (!order) {
          // A payment for an order we never stored: nothing to move; say so.
          context.logger.warn({ type: event.type, orderId: event.subject }, 'payment event for an unknown order');
          return 'done';
        }
        if (order.status !== 'PENDING_PAYMENT') {
          context.logger.warn({ type: event.type, status: order.status, orderId: event.subject }, 'order already terminal; event ignored');
          return 'done';
        }
        if (event.type === 'OrderPaid') {
          order.status = 'PAID';
          changes.push({ orderId: order.id, status: 'PAID', eventId: event.id, reason: null });
        } else {
          const failed = (event as SagaEvent<'PaymentFailed'>).data;
          // The detail says it in words ("the charge was declined: card-declined"); the reason code when there is none.
          const reason = `payment failed: ${failed.detail || failed.reason}`;
          order.status = 'CANCELLED';
          changes.push({ orderId: order.id, status: 'CANCELLED', eventId: event.id, reason });
          cancellations.push(createEvent({ type: 'OrderCancelled', source: kit.config.service, cause: event.traceparent, data: { orderId: order.id, reason, cancelledAt: new Date().toISOString() } }));
        }
        outcomes.push({ status: order.status, createdAt: order.createdAt });
        context.logger.info({ orderId: order.id, status: order.status, eventId: event.id }, 'order is terminal');
        return 'done';
      });
      await setStatuses(client, changes);
      await insertHistory(client, changes);
      await appendToOutbox(client, kit.config.service, cancellations);
      return results;
    });
    for (const outcome of outcomes) onTerminal(outcome);
    return results;
  };
}
