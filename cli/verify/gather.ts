/**
 * Collects the evidence of a run from the lab itself: every service's tables (read with the
 * database's admin role, each service's own schema) and every event on the saga topics.
 */
import pg from 'pg';
import type { EventType, OrderState } from '../../services/events/index.js';
import { schemaOf, type StackPlan } from '../runtime/stack-spec.js';
import { readEvents } from '../watch/event-stream.js';
import type { ChargeRecord, DeadLetterRecord, EventRecord, NotificationRecord, OrderRecord, PaymentRecord } from './evidence.js';

const ORDER = schemaOf('order');
const PAYMENT = schemaOf('payment');
const PROVIDER = schemaOf('payment-provider');
const NOTIFICATION = schemaOf('notification');
const DLQ = schemaOf('dlq');

/** A connection as the database's admin: the lab reads across every service's schema. */
export function adminPool(plan: StackPlan, max = 3): pg.Pool {
  const pool = new pg.Pool({ connectionString: plan.endpoints.postgres, max, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  return pool;
}

interface OrderRow {
  id: string;
  status: OrderState;
  created_at: Date;
  updated_at: Date;
  idempotency_key: string | null;
}

const toOrder = (r: OrderRow): OrderRecord => ({ id: r.id, status: r.status, createdAt: r.created_at.getTime(), updatedAt: r.updated_at.getTime(), idempotencyKey: r.idempotency_key });

/** Orders created since `since`, plus any whose Idempotency-Key is in `keys`. */
export async function readOrders(db: pg.Pool, since: number, keys: readonly string[] = []): Promise<OrderRecord[]> {
  const { rows } = await db.query<OrderRow>(`SELECT id, status, created_at, updated_at, idempotency_key FROM ${ORDER}.orders WHERE created_at >= $1 OR idempotency_key = ANY($2::text[])`, [new Date(since), keys]);
  return rows.map(toOrder);
}

/**
 * Charges, payments and notifications of these orders, and the dead letters stored since `since`
 * or named by DeadLettered events of the run (a record dead-lettered again keeps its first row).
 */
export async function readServiceRecords(db: pg.Pool, orderIds: readonly string[], since: number, deadLetterIds: readonly string[] = []) {
  const ids = [...orderIds];
  const [charges, payments, notifications, deadLetters] = await Promise.all([
    db.query<ChargeRecord>(`SELECT order_id AS "orderId", status FROM ${PROVIDER}.charges WHERE order_id = ANY($1::uuid[])`, [ids]),
    db.query<PaymentRecord>(`SELECT order_id AS "orderId", status FROM ${PAYMENT}.payments WHERE order_id = ANY($1::uuid[])`, [ids]),
    db.query<NotificationRecord>(`SELECT order_id AS "orderId", kind FROM ${NOTIFICATION}.notifications WHERE order_id = ANY($1::uuid[])`, [ids]),
    db.query<DeadLetterRecord>(`SELECT id, origin_topic AS "originTopic", origin_key AS "key", error_kind AS "errorKind", status FROM ${DLQ}.dead_letters WHERE dead_lettered_at >= $1 OR id = ANY($2::text[])`, [new Date(since), [...deadLetterIds]]),
  ]);
  return { charges: charges.rows, payments: payments.rows, notifications: notifications.rows, deadLetters: deadLetters.rows };
}

/** Every record on the saga topics since `since` (a second earlier, for clock skew). */
export async function readSagaEvents(plan: StackPlan, since: number): Promise<{ events: EventRecord[]; invalidRecords: number }> {
  const records = await readEvents(plan.endpoints.kafka, { kind: 'time', at: since - 1000 });
  const events: EventRecord[] = [];
  let invalidRecords = 0;
  for (const r of records) {
    if (r.event) events.push({ id: r.event.id, type: r.event.type as EventType, orderId: r.event.type === 'DeadLettered' ? null : r.event.subject, topic: r.topic, timestamp: r.timestamp });
    else invalidRecords++;
  }
  return { events, invalidRecords };
}

/** Orders by state among those created since `since` (the live view and the chart sample it). */
export async function countOrdersByState(db: pg.Pool, since: number): Promise<Record<OrderState, number>> {
  const { rows } = await db.query<{ status: OrderState; n: number }>(`SELECT status, count(*)::int AS n FROM ${ORDER}.orders WHERE created_at >= $1 GROUP BY status`, [new Date(since)]);
  const counts: Record<OrderState, number> = { PENDING_PAYMENT: 0, PAID: 0, CANCELLED: 0 };
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

/** Events written to outboxes and not yet published, per service. */
export async function outboxBacklog(db: pg.Pool): Promise<Record<string, number>> {
  const backlog: Record<string, number> = {};
  for (const service of ['order', 'payment', 'notification']) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schemaOf(service)}.outbox`).catch(() => ({ rows: [{ n: 0 }] }));
    backlog[service] = rows[0]!.n;
  }
  return backlog;
}
