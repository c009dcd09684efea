/**
 * The notification side of the saga: each step of an order (received, paid, cancelled) becomes
 * one email, recorded in one transaction with the inbox claim and its NotificationSent event in
 * the outbox. A redelivered event finds its id in the inbox; a second event for the same step
 * (replayed from the DLQ, or re-sent with a new id) finds the step already notified. Either way
 * nothing changes and nothing is emitted twice.
 */
import { createEvent, traceIdOf, type NotificationKind, type SagaEvent } from '../events/index.js';
import { appendToOutbox, claimEvents, stableUuid, withTransaction, type BatchResult, type HandlerContext, type ServiceKit } from '../kit/index.js';
import { composeEmail, type NotifyingEvent } from './email.js';
import { insertNotifications, type NotificationRow } from './store.js';

/** One id per order and step: the notification is the same one however often it is attempted. */
export function notificationIdOf(orderId: string, kind: NotificationKind): string {
  return stableUuid(`notification|${orderId}|${kind}`);
}

export function createNotificationHandler(kit: ServiceKit, consumer: string, onSent: (kind: NotificationKind) => void) {
  return async (events: SagaEvent[], context: HandlerContext): Promise<BatchResult[]> => {
    const sentAt = new Date();
    const sent: NotificationRow[] = [];
    const results = await withTransaction(kit.pool, async (client) => {
      const fresh = await claimEvents(client, consumer, events);
      // In the order the steps happened: a batch may hold one order's events from two topics.
      const rows = events
        .filter((e) => fresh.has(e.id))
        .sort((a, b) => a.time.localeCompare(b.time))
        .map((event) => {
          const email = composeEmail(event as NotifyingEvent);
          const orderId = (event as NotifyingEvent).data.orderId;
          return { id: notificationIdOf(orderId, email.kind), orderId, ...email, channel: 'email' as const, causeEventId: event.id, causeEventType: event.type, traceId: traceIdOf(event.traceparent) ?? null, sentAt, cause: event };
        });
      // One notification per order and step, even when a batch holds two events for the same step.
      const steps = new Set<string>();
      const firstPerStep = rows.filter((r) => !steps.has(r.id) && steps.add(r.id));
      const inserted = await insertNotifications(client, firstPerStep);
      const fromThisBatch = firstPerStep.filter((r) => inserted.has(r.id));
      await appendToOutbox(
        client,
        kit.config.service,
        fromThisBatch.map((r) =>
          createEvent({
            type: 'NotificationSent',
            source: kit.config.service,
            cause: r.cause.traceparent,
            data: { orderId: r.orderId, notificationId: r.id, kind: r.kind, channel: 'email', causeEventId: r.causeEventId, sentAt: sentAt.toISOString() },
          }),
        ),
      );
      sent.push(...fromThisBatch);
      const told = new Set(fromThisBatch.map((r) => r.causeEventId));
      return events.map((event): BatchResult => {
        if (!fresh.has(event.id)) return 'duplicate';
        if (!told.has(event.id)) context.logger.info({ eventId: event.id, type: event.type, orderId: event.subject }, 'this step was already notified; event ignored');
        return 'done';
      });
    });
    for (const row of sent) {
      onSent(row.kind);
      context.logger.info({ orderId: row.orderId, kind: row.kind, notificationId: row.id }, 'notification sent');
    }
    return results;
  };
}
