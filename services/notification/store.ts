/** The notification service's SQL: the notifications table. */
import type { NotificationKind } from '../events/index.js';
import type { Pool, PoolClient } from '../kit/index.js';

export interface NotificationRow {
  id: string;
  orderId: string;
  kind: NotificationKind;
  channel: 'email';
  recipient: string;
  subject: string;
  body: string;
  causeEventId: string;
  causeEventType: string;
  traceId: string | null;
  sentAt: Date;
}

const COLUMNS = `id, order_id AS "orderId", kind, channel, recipient, subject, body, cause_event_id AS "causeEventId",
  cause_event_type AS "causeEventType", trace_id AS "traceId", sent_at AS "sentAt"`;

/** Records a notification; false when this order was already notified about this step. */
export async function insertNotification(client: PoolClient, row: NotificationRow): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO notifications (id, order_id, kind, channel, recipient, subject, body, cause_event_id, cause_event_type, trace_id, sent_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (order_id, kind) DO NOTHING`,
    [row.id, row.orderId, row.kind, row.channel, row.recipient, row.subject, row.body, row.causeEventId, row.causeEventType, row.traceId, row.sentAt],
  );
  return rowCount === 1;
}

/** One order's notifications in the order they were sent, or the latest of all orders first. */
export async function listNotifications(db: Pool, filter: { orderId?: string; kind?: NotificationKind; limit: number }): Promise<NotificationRow[]> {
  const { rows } = filter.orderId
    ? await db.query<NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE order_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY sent_at, id LIMIT $3`, [filter.orderId, filter.kind ?? null, filter.limit])
    : await db.query<NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE ($1::text IS NULL OR kind = $1) ORDER BY sent_at DESC, id LIMIT $2`, [filter.kind ?? null, filter.limit]);
  return rows;
}
