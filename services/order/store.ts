/** The order service's SQL: orders and their status history. */
import type { OrderItem, OrderState } from '../events/index.js';
import type { Pool, PoolClient } from '../kit/index.js';

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

/** Inserts a new order in PENDING_PAYMENT; false when its Idempotency-Key is already taken. */
export async function insertOrder(client: PoolClient, order: Omit<OrderRow, 'status' | 'cancelReason' | 'updatedAt'>): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO orders (id, status, items, total_cents, currency, delivery_address, payment_method, idempotency_key, request_hash, trace_id, created_at, updated_at)
     VALUES ($1, 'PENDING_PAYMENT', $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [order.id, JSON.stringify(order.items), order.totalCents, order.currency, order.deliveryAddress, order.paymentMethod, order.idempotencyKey, order.requestHash, order.traceId, order.createdAt],
  );
  if (rowCount === 1) {
    await client.query(`INSERT INTO order_status_history (order_id, status, at) VALUES ($1, 'PENDING_PAYMENT', $2)`, [order.id, order.createdAt]);
  }
  return rowCount === 1;
}

export async function findOrder(db: Queryable, id: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
  return rows[0];
}

export async function findByIdempotencyKey(db: Queryable, key: string): Promise<OrderRow | undefined> {
  const { rows } = await db.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE idempotency_key = $1`, [key]);
  return rows[0];
}

/** The order, locked for this transaction (so two payment events cannot race on it). */
export async function lockOrder(client: PoolClient, id: string): Promise<OrderRow | undefined> {
  const { rows } = await client.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0];
}

export async function history(db: Queryable, id: string): Promise<HistoryRow[]> {
  const { rows } = await db.query<HistoryRow>('SELECT status, reason, event_id AS "eventId", at FROM order_status_history WHERE order_id = $1 ORDER BY id', [id]);
  return rows;
}

export async function setStatus(client: PoolClient, id: string, status: OrderState, change: { reason?: string; eventId: string }): Promise<void> {
  await client.query('UPDATE orders SET status = $2, cancel_reason = COALESCE($3, cancel_reason), updated_at = now() WHERE id = $1', [id, status, change.reason ?? null]);
  await client.query('INSERT INTO order_status_history (order_id, status, reason, event_id) VALUES ($1, $2, $3, $4)', [id, status, change.reason ?? null, change.eventId]);
}

export async function listOrders(db: Queryable, filter: { status?: OrderState; limit: number }): Promise<OrderRow[]> {
  const { rows } = filter.status
    ? await db.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE status = $1 ORDER BY created_at DESC LIMIT $2`, [filter.status, filter.limit])
    : await db.query<OrderRow>(`SELECT ${COLUMNS} FROM orders ORDER BY created_at DESC LIMIT $1`, [filter.limit]);
  return rows;
}
