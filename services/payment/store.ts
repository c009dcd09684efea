/** The payment service's SQL: one payment per order. */
import type { PaymentFailureReason } from '../events/index.js';
import { planned, prepared, type Pool, type PoolClient } from '../kit/index.js';

export interface PaymentRow {
  paymentId: string;
  orderId: string;
  status: 'paid' | 'failed';
  amountCents: number;
  currency: string;
  paymentMethod: string;
  chargeId: string | null;
  attempts: number;
  reason: PaymentFailureReason | null;
  detail: string | null;
  eventId: string;
  createdAt: Date;
}

const COLUMNS = `id AS "paymentId", order_id AS "orderId", status, amount_cents AS "amountCents", currency, payment_method AS "paymentMethod",
  charge_id AS "chargeId", attempts, reason, detail, event_id AS "eventId", created_at AS "createdAt"`;

/**
 * Read-only, before calling the provider: which events has this consumer handled already (inbox),
 * and which orders have a payment already (from another copy of their OrderCreated)? One round trip.
 */
export async function priorHandling(pool: Pool, consumer: string, eventIds: readonly string[], orderIds: readonly string[]): Promise<{ handled: Set<string>; paid: Map<string, PaymentRow['status']> }> {
  const { rows } = await pool.query<{ kind: 'event' | 'order'; id: string; status: PaymentRow['status'] | null }>(planned(`SELECT 'event' AS kind, event_id AS id, NULL AS status FROM inbox WHERE consumer = $1 AND event_id = ANY($2::text[])
     UNION ALL
     SELECT 'order', order_id::text, status FROM payments WHERE order_id = ANY($3::uuid[])`)([consumer, [...eventIds], [...orderIds]]));
  return { handled: new Set(rows.filter((r) => r.kind === 'event').map((r) => r.id)), paid: new Map(rows.filter((r) => r.kind === 'order').map((r) => [r.id, r.status!])) };
}

/** Records payments; returns the payment ids recorded now (an order that has one already is skipped). */
export async function insertPayments(client: PoolClient, payments: readonly Omit<PaymentRow, 'createdAt'>[]): Promise<Set<string>> {
  if (payments.length === 0) return new Set();
  const column = <K extends keyof Omit<PaymentRow, 'createdAt'>>(key: K) => payments.map((p) => p[key]);
  const { rows } = await client.query<{ id: string }>(prepared(`INSERT INTO payments (id, order_id, status, amount_cents, currency, payment_method, charge_id, attempts, reason, detail, event_id)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::text[])
     ON CONFLICT (order_id) DO NOTHING
     RETURNING id`)([column('paymentId'), column('orderId'), column('status'), column('amountCents'), column('currency'), column('paymentMethod'), column('chargeId'), column('attempts'), column('reason'), column('detail'), column('eventId')]));
  return new Set(rows.map((r) => r.id));
}

export async function findPayment(pool: Pool, orderId: string): Promise<PaymentRow | undefined> {
  const { rows } = await pool.query<PaymentRow>(prepared(`SELECT ${COLUMNS} FROM payments WHERE order_id = $1`)([orderId]));
  return rows[0];
}
