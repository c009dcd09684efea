/** The notification service's SQL: the notifications table. */
import type { NotificationKind } from '../events/index.js';
import { prepared, type Pool, type PoolClient } from '../kit/index.js';

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

/** Records notifications; returns the ids recorded now (an order already told about a step is skipped). */
export async function insertNotifications(client: PoolClient, rows: readonly NotificationRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const column = <K extends keyof NotificationRow>(key: K) => rows.map((r) => r[key]);
  const { rows: inserted } = await client.query<{ id: string }>(prepared(`INSERT INTO notifications (id, order_id, kind, channel, recipient, subject, body, cause_event_id, cause_event_type, trace_id, sent_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
     ON CONFLICT DO NOTHING
     RETURNING id`)([column('id'), column('orderId'), column('kind'), column('channel'), column('recipient'), column('subject'), column('body'), column('causeEventId'), column('causeEventType'), column('traceId'), column('sentAt')]));
  return new Set(inserted.map((r) => r.id));
}

/** One order's notifications in the order they were sent, or the latest of all orders first. */
export async function listNotifications(db: Pool, filter: { orderId?: string; kind?: NotificationKind; limit: number }): Promise<NotificationRow[]> {
  const { rows } = filter.orderId
    ? await db.query<NotificationRow>(prepared(`SELECT ${COLUMNS} FROM notifications WHERE order_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY sent_at, id LIMIT $3`)([filter.orderId, filter.kind ?? null, filter.limit]))
    : await db.query<NotificationRow>(prepared(`SELECT ${COLUMNS} FROM notifications WHERE ($1::text IS NULL OR kind = $1) ORDER BY sent_at DESC, id LIMIT $2`)([filter.kind ?? null, filter.limit]));
  return rows;
}
