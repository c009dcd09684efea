/** The notification service: one email per saga step per order, and a NotificationSent event for each. */
import { TOPICS, type EventType } from '../events/index.js';
import { CONSUMER_GROUPS, promClient, runService } from '../kit/index.js';
import { NOTIFICATION_KIND_OF } from './email.js';
import { createNotificationHandler } from './handlers.js';
import { registerRoutes } from './http.js';

await runService({
  needs: { kafka: true, postgres: true },
  title: 'pizza-lab notification API',
  description: 'What each order was told, one email per saga step.',
  kitTables: ['outbox', 'inbox'],
  async start(kit, app) {
    const sent = new promClient.Counter({ name: 'saga_notifications_sent_total', help: 'Notifications sent, by saga step', labelNames: ['kind'] as const, registers: [kit.metrics.registry] });

    registerRoutes(app, kit);

    const group = CONSUMER_GROUPS.notification;
    await kit.consume({
      groupId: group,
      topics: [TOPICS.orderEvents, TOPICS.paymentEvents],
      // PaymentFailed is not told on its own: the OrderCancelled that follows it is.
      handles: Object.keys(NOTIFICATION_KIND_OF) as EventType[],
      handleBatch: createNotificationHandler(kit, group, (kind) => sent.inc({ kind })),
    });
  },
});
