/** The provider's SQL: the charges ledger, one row per Idempotency-Key. */
import { prepared, type Pool } from '../kit/index.js';

export type ChargeStatus = 'succeeded' | 'declined';

export interface ChargeRow {
  chargeId: string;
  idempotencyKey: string;
  requestHash: string;
  orderId: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  status: ChargeStatus;
  declineReason: string | null;
  createdAt: Date;
}

const COLUMNS = `id AS "chargeId", idempotency_key AS "idempotencyKey", request_hash AS "requestHash", order_id AS "orderId",
  amount_cents AS "amountCents", currency, payment_method AS "paymentMethod", status, decline_reason AS "declineReason", created_at AS "createdAt"`;

/**
 * Records a charge; undefined when its Idempotency-Key already has one. The unique key settles
 * concurrent duplicates: exactly one insert wins, the others read the winner.
 */
export async function insertCharge(pool: Pool, charge: Omit<ChargeRow, 'createdAt'>): Promise<ChargeRow | undefined> {
  const { rows } = await pool.query<ChargeRow>(prepared(`INSERT INTO charges (id, idempotency_key, request_hash, order_id, amount_cents, currency, payment_method, status, decline_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING ${COLUMNS}`)([charge.chargeId, charge.idempotencyKey, charge.requestHash, charge.orderId, charge.amountCents, charge.currency, charge.paymentMethod, charge.status, charge.declineReason]));
  return rows[0];
}

export async function findByIdempotencyKey(pool: Pool, key: string): Promise<ChargeRow | undefined> {
  const { rows } = await pool.query<ChargeRow>(prepared(`SELECT ${COLUMNS} FROM charges WHERE idempotency_key = $1`)([key]));
  return rows[0];
}

export async function findCharge(pool: Pool, chargeId: string): Promise<ChargeRow | undefined> {
  const { rows } = await pool.query<ChargeRow>(prepared(`SELECT ${COLUMNS} FROM charges WHERE id = $1`)([chargeId]));
  return rows[0];
}

/** Charges, oldest first, optionally of one order and/or one status. */
export async function listCharges(pool: Pool, filter: { orderId?: string; status?: ChargeStatus; limit: number }): Promise<ChargeRow[]> {
  const { rows } = await pool.query<ChargeRow>(prepared(`SELECT ${COLUMNS} FROM charges
     WHERE ($1::uuid IS NULL OR order_id = $1) AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at, id LIMIT $3`)([filter.orderId ?? null, filter.status ?? null, filter.limit]));
  return rows;
}
