/**
 * The notification side of the saga: each step of an order (received, paid, cancelled) becomes
 * one email, recorded in one transaction with the inbox claim and its NotificationSent event in
 * the outbox. A redelivered event finds its id in the inbox; a second event for the same step
 * (replayed from the DLQ, or re-sent with a new id) finds the step already notified. Either way
 * nothing changes and nothing is emitted twice.
 */
import { createEvent, traceIdOf, type NotificationKind, type SagaEvent } from '../events/index.js';
import { appendToOutbox, claimEvent, stableUuid, withTransaction, type HandlerContext, type ServiceKit } from '../kit/index.js';
import { composeEmail, type NotifyingEvent } from './email.js';
import { insertNotification } from './store.js';

/** One id per order and step: the notification is the same one however often it is attempted. */
export function notificationIdOf(orderId: string, kind: NotificationKind): string {
  return stableUuid(`notification|${orderId}|${kind}`);
}

export function createNotificationHandler(kit: ServiceKit, consumer: string, onSent: (kind: NotificationKind) => void) {
  return async (event: SagaEvent, context: HandlerContext): Promise<void> => {
    const email = composeEmail(event as NotifyingEvent);
    const orderId = (event as NotifyingEvent).data.orderId;
    const id = notificationIdOf(orderId, email.kind);
    const sentAt = new Date();
    const outcome = await withTransaction(kit.pool, async (client) => {
      if (!(await claimEvent(client, consumer, event))) return 'duplicate' as const;
      const row = { id, orderId, ...email, channel: 'email' as const, causeEventId: event.id, causeEventType: event.type, traceId: traceIdOf(event.traceparent) ?? null, sentAt };
      if (!(await insertNotification(client, row))) return 'already-notified' as const;
      await appendToOutbox(client, kit.config.service, [
        createEvent({
          type: 'NotificationSent',
          source: kit.config.service,
          cause: event.traceparent,
          data: { orderId, notificationId: id, kind: email.kind, channel: 'email', causeEventId: event.id, sentAt: sentAt.toISOString() },
        }),
      ]);
      return 'sent' as const;
    });
    if (outcome === 'sent') {
      onSent(email.kind);
      context.logger.info({ kind: email.kind, notificationId: id }, 'notification sent');
    } else if (outcome === 'duplicate') {
      context.logger.info({ eventId: event.id, type: event.type }, 'duplicate delivery ignored (inbox)');
    } else {
      context.logger.info({ eventId: event.id, kind: email.kind }, 'this step was already notified; event ignored');
    }
  };
}
