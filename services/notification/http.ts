/**
 * The notification API (not public: tests, the checker and curious students call it on the
 * instance's own port): what each order was told, and when.
 */
import type { FastifyInstance } from 'fastify';
import { notificationKinds, type NotificationKind } from '../events/index.js';
import { errorResponses, type ServiceKit } from '../kit/index.js';
import { listNotifications, type NotificationRow } from './store.js';

const notificationOut = {
  type: 'object',
  properties: {
    notificationId: { type: 'string', format: 'uuid' },
    orderId: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: [...notificationKinds], description: 'the saga step it tells about' },
    channel: { type: 'string', enum: ['email'] },
    recipient: { type: 'string', description: 'the email address it was sent to' },
    subject: { type: 'string' },
    body: { type: 'string', description: 'the email text' },
    causeEventId: { type: 'string', description: 'ce_id of the event that caused it' },
    causeEventType: { type: 'string' },
    traceId: { type: 'string', nullable: true },
    sentAt: { type: 'string', format: 'date-time' },
  },
} as const;

function present(row: NotificationRow) {
  const { id, sentAt, ...rest } = row;
  return { notificationId: id, ...rest, sentAt: sentAt.toISOString() };
}

export function registerRoutes(app: FastifyInstance, kit: ServiceKit): void {
  app.get<{ Querystring: { orderId?: string; kind?: NotificationKind; limit: number } }>(
    '/notifications',
    {
      schema: {
        summary: 'Notifications sent',
        description: "With orderId: that order's notifications in the order they were sent. Without: the latest of all orders, newest first.",
        tags: ['notifications'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            orderId: { type: 'string', format: 'uuid' },
            kind: { type: 'string', enum: [...notificationKinds] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: { description: 'the notifications', type: 'object', properties: { notifications: { type: 'array', items: notificationOut }, count: { type: 'integer' } } },
          ...errorResponses(400, 500, 503),
        },
      },
    },
    async (request) => {
      const rows = await listNotifications(kit.pool, request.query);
      return { notifications: rows.map(present), count: rows.length };
    },
  );
}
