/** The order service's SQL: orders and their status history. */
import type { OrderItem, OrderState, SagaEvent } from '../events/index.js';
import { outboxInsert, planned, prepared, type Pool, type PoolClient } from '../kit/index.js';

export interface OrderRow {
  id: string;
  status: OrderState;
  items: OrderItem[];
  totalCents: number;
  currency: string;
  deliveryAddress: string;
  paymentMethod: string;
  idempotencyKey: string | null;
  requestHash: string | null;
  traceId: string | null;
  cancelReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface HistoryRow {
  status: OrderState;
  reason: string | null;
  eventId: string | null;
  at: Date;
}

const COLUMNS = `id, status, items, total_cents AS "totalCents", currency, delivery_address AS "deliveryAddress",
  payment_method AS "paymentMethod", idempotency_key AS "idempotencyKey", request_hash AS "requestHash",
  trace_id AS "traceId", cancel_reason AS "cancelReason", created_at AS "createdAt", updated_at AS "updatedAt"`;

type Queryable = Pool | PoolClient;

/** A new order and its OrderCreated event. */
export interface NewOrder {
  order: Omit<OrderRow, 'status' | 'cancelReason' | 'updatedAt'>;
  created: SagaEvent;
}

/**
 * Stores new orders in PENDING_PAYMENT, each with its first history row and its OrderCreated in
 * the outbox — one statement for all of them, so one round trip and one commit, atomic like a
 * transaction. One answer per order: false (and nothing written for it) when its Idempotency-Key
 * was already taken, by an earlier order or by one before it in the same call.
 */
export async function insertOrders(db: Queryable, orders: readonly NewOrder[]): Promise<boolean[]> {
  const column = <K extends keyof NewOrder['order']>(key: K) => orders.map((o) => o.order[key]);
  const outbox = outboxInsert(orders.map((o) => o.created), 11, { onlyForIdsIn: 'created' });
  const { rows } = await db.query<{ id: string }>(prepared(`WITH created AS (
       INSERT INTO orders (id, status, items, total_cents, currency, delivery_address, payment_method, idempotency_key, request_hash, trace_id, created_at, updated_at)
       SELECT o.id, 'PENDING_PAYMENT', o.items, o.total_cents, o.currency, o.delivery_address, o.payment_method, o.idempotency_key, o.request_hash, o.trace_id, o.created_at, o.created_at
       FROM unnest($1::uuid[], $2::jsonb[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])
         AS o(id, items, total_cents, currency, delivery_address, payment_method, idempotency_key, request_hash, trace_id, created_at)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING id, created_at),
     history AS (INSERT INTO order_status_history (order_id, status, at) SELECT id, 'PENDING_PAYMENT', created_at FROM created),
     event AS (${outbox.sql})
     SELECT id FROM created`)([
    column('id'),
    orders.map((o) => JSON.stringify(o.order.items)),
    column('totalCents'),
    column('currency'),
    column('deliveryAddress'),
    column('paymentMethod'),
    column('idempotencyKey'),
    column('requestHash'),
    column('traceId'),
    column('createdAt'),
    ...outbox.params,
  ]));
  const created = new Set(rows.map((r) => r.id));
  return orders.map((o) => created.has(o.order.id));
}

export async function findOrder(db: Queryable, id: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(prepared(`SELECT ${COLUMNS} FROM orders WHERE id = $1`)([id]));
  return rows[0];
}

export async function findByIdempotencyKey(db: Queryable, key: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(prepared(`SELECT ${COLUMNS} FROM orders WHERE idempotency_key = $1`)([key]));
  return rows[0];
}

export interface LockedOrder {
  id: string;
  status: OrderState;
  createdAt: Date;
}

/**
 * The orders, locked for this transaction (so two payment events cannot race on one), taken in
 * id order so that two transactions never wait on each other in a circle.
 */
export async function lockOrders(client: PoolClient, ids: readonly string[]): Promise<Map<string, LockedOrder>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query<LockedOrder>(planned('SELECT id, status, created_at AS "createdAt" FROM orders WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE')([[...ids]]));
  return new Map(rows.map((r) => [r.id, r]));
}

export interface StatusChange {
  orderId: string;
  status: OrderState;
  eventId: string;
  reason: string | null;
}

export async function history(db: Queryable, id: string): Promise<HistoryRow[]> {
  const { rows } = await db.query<HistoryRow>(prepared('SELECT status, reason, event_id AS "eventId", at FROM order_status_history WHERE order_id = $1 ORDER BY id')([id]));
  return rows;
}

/** Moves each order to its new status (one statement for the whole batch). */
export async function setStatuses(client: PoolClient, changes: readonly StatusChange[]): Promise<void> {
  if (changes.length === 0) return;
  await client.query(planned(`UPDATE orders SET status = c.status, cancel_reason = COALESCE(c.reason, orders.cancel_reason), updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::text[]) AS c(id, status, reason) WHERE orders.id = c.id`)([changes.map((c) => c.orderId), changes.map((c) => c.status), changes.map((c) => c.reason)]));
}

export async function insertHistory(client: PoolClient, changes: readonly StatusChange[]): Promise<void> {
  if (changes.length === 0) return;
  await client.query(prepared(`INSERT INTO order_status_history (order_id, status, reason, event_id)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])`)([changes.map((c) => c.orderId), changes.map((c) => c.status), changes.map((c) => c.reason), changes.map((c) => c.eventId)]));
}

export async function listOrders(db: Queryable, filter: { status?: OrderState; limit: number }): Promise<OrderRow[]> {
  const { rows } = filter.status
    ? await db.query<OrderRow>(prepared(`SELECT ${COLUMNS} FROM orders WHERE status = $1 ORDER BY created_at DESC LIMIT $2`)([filter.status, filter.limit]))
    : await db.query<OrderRow>(prepared(`SELECT ${COLUMNS} FROM orders ORDER BY created_at DESC LIMIT $1`)([filter.limit]));
  return rows;
}
