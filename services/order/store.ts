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

/**
 * Stores a new order in PENDING_PAYMENT, its first history row and its OrderCreated in the outbox
 * — one statement, so one round trip, and atomic like a transaction. False (and nothing written)
 * when its Idempotency-Key is already taken.
 */
export async function insertOrder(db: Queryable, order: Omit<OrderRow, 'status' | 'cancelReason' | 'updatedAt'>, created: SagaEvent): Promise<boolean> {
  const outbox = outboxInsert([created], 11, { onlyIfAny: 'created' });
  const { rows } = await db.query<{ created: number }>(prepared(`WITH created AS (
       INSERT INTO orders (id, status, items, total_cents, currency, delivery_address, payment_method, idempotency_key, request_hash, trace_id, created_at, updated_at)
       VALUES ($1, 'PENDING_PAYMENT', $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING id, created_at),
     history AS (INSERT INTO order_status_history (order_id, status, at) SELECT id, 'PENDING_PAYMENT', created_at FROM created),
     event AS (${outbox.sql})
     SELECT count(*)::int AS created FROM created`)([order.id, JSON.stringify(order.items), order.totalCents, order.currency, order.deliveryAddress, order.paymentMethod, order.idempotencyKey, order.requestHash, order.traceId, order.createdAt, ...outbox.params]));
  return rows[0]!.created === 1;
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
