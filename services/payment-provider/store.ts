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

export type NewCharge = Omit<ChargeRow, 'createdAt'>;

/**
 * Records charges, all in one statement (one round trip, one commit). One answer per charge: its
 * row, or undefined when its Idempotency-Key already has one. The unique key settles concurrent
 * duplicates, in one call or across calls: exactly one insert wins, the others read the winner.
 */
export async function insertCharges(pool: Pool, charges: readonly NewCharge[]): Promise<(ChargeRow | undefined)[]> {
  const column = <K extends keyof NewCharge>(key: K) => charges.map((c) => c[key]);
  const { rows } = await pool.query<ChargeRow>(prepared(`INSERT INTO charges (id, idempotency_key, request_hash, order_id, amount_cents, currency, payment_method, status, decline_reason)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING ${COLUMNS}`)([column('chargeId'), column('idempotencyKey'), column('requestHash'), column('orderId'), column('amountCents'), column('currency'), column('paymentMethod'), column('status'), column('declineReason')]));
  const inserted = new Map(rows.map((r) => [r.chargeId, r]));
  return charges.map((c) => inserted.get(c.chargeId));
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
