/**
 * The order side of the saga: a payment event moves the order to its terminal state, in one
 * transaction with the inbox record (a redelivered event changes nothing) and, when the payment
 * failed, the OrderCancelled event (the compensation) in the outbox.
 */
import { createEvent, type SagaEvent } from '../events/index.js';
import { appendToOutbox, claimEvent, withTransaction, type HandlerContext, type ServiceKit } from '../kit/index.js';
import { lockOrder, setStatus } from './store.js';

export interface SagaOutcome {
  status: 'PAID' | 'CANCELLED';
  createdAt: Date;
}

export function createPaymentHandler(kit: ServiceKit, consumer: string, onTerminal: (outcome: SagaOutcome) => void) {
  return async (event: SagaEvent, context: HandlerContext): Promise<void> => {
    const orderId = event.subject!;
    const outcome = await withTransaction(kit.pool, async (client) => {
      if (!(await claimEvent(client, consumer, event))) {
        context.logger.info({ eventId: event.id, type: event.type }, 'duplicate delivery ignored (inbox)');
        return undefined;
      }
      const order = await lockOrder(client, orderId);
      if (!order) {
        // A payment for an order we never stored: nothing to move; record and tell.
        context.logger.warn({ type: event.type }, 'payment event for an unknown order');
        return undefined;
      }
      if (order.status !== 'PENDING_PAYMENT') {
        context.logger.warn({ type: event.type, status: order.status }, 'order already terminal; event ignored');
        return undefined;
      }
      if (event.type === 'OrderPaid') {
        await setStatus(client, orderId, 'PAID', { eventId: event.id });
        return { status: 'PAID' as const, createdAt: order.createdAt };
      }
      const failed = event as SagaEvent<'PaymentFailed'>;
      const reason = `payment failed: ${failed.data.reason}${failed.data.detail ? ` (${failed.data.detail})` : ''}`;
      await setStatus(client, orderId, 'CANCELLED', { eventId: event.id, reason });
      await appendToOutbox(client, kit.config.service, [
        createEvent({ type: 'OrderCancelled', source: kit.config.service, cause: event.traceparent, data: { orderId, reason, cancelledAt: new Date().toISOString() } }),
      ]);
      return { status: 'CANCELLED' as const, createdAt: order.createdAt };
    });
    if (outcome) {
      onTerminal(outcome);
      context.logger.info({ status: outcome.status }, 'order is terminal');
    }
  };
}
