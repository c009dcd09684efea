/** The payment service's SQL: one payment per order. */
import type { PaymentFailureReason } from '../events/index.js';
import type { Pool, PoolClient } from '../kit/index.js';

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
 * Read-only, before calling the provider: has this consumer handled the event already (inbox),
 * or does the order have a payment already (from another copy of its OrderCreated)? One round trip.
 */
export async function priorHandling(pool: Pool, consumer: string, eventId: string, orderId: string): Promise<{ handled: boolean; paymentStatus: PaymentRow['status'] | null }> {
  const { rows } = await pool.query<{ handled: boolean; paymentStatus: PaymentRow['status'] | null }>(
    `SELECT EXISTS (SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2) AS handled,
            (SELECT status FROM payments WHERE order_id = $3) AS "paymentStatus"`,
    [consumer, eventId, orderId],
  );
  return rows[0]!;
}

/** Records the payment; false when the order has one already. */
export async function insertPayment(client: PoolClient, payment: Omit<PaymentRow, 'createdAt'>): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO payments (id, order_id, status, amount_cents, currency, payment_method, charge_id, attempts, reason, detail, event_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (order_id) DO NOTHING`,
    [payment.paymentId, payment.orderId, payment.status, payment.amountCents, payment.currency, payment.paymentMethod, payment.chargeId, payment.attempts, payment.reason, payment.detail, payment.eventId],
  );
  return rowCount === 1;
}

export async function findPayment(pool: Pool, orderId: string): Promise<PaymentRow | undefined> {
  const { rows } = await pool.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE order_id = $1`, [orderId]);
  return rows[0];
}
