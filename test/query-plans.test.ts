/**
 * The saga's lookups of a set of keys stay index lookups however much their tables grew since the
 * service connected. A prepared statement's generic plan is made once, for the table as it was
 * then — in a fresh lab, empty — and a whole-table scan chosen for an empty table would be kept
 * while the table grows by 200 rows a second.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, withTransaction } from '../services/kit/db.js';
import { packageRoot, serviceDir } from '../services/kit/paths.js';
import { lockOrders, setStatuses } from '../services/order/store.js';
import { priorHandling } from '../services/payment/store.js';
import { lab } from './support/lab.js';

const { plan } = lab();
const schema = `plans_${randomUUID().slice(0, 8)}`;
const ROWS = 20_000;
let admin: pg.Client;
/** One connection, so that every call meets the plans cached on it. */
let pool: pg.Pool;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: plan.endpoints.postgres });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  pool = new pg.Pool({ connectionString: plan.endpoints.postgres, max: 1, options: `-c search_path=${schema}` });
  const logger = pino({ level: 'silent' });
  await migrate(pool, { dir: join(packageRoot, 'services', 'kit', 'migrations'), only: ['inbox.sql'], namespace: 'kit' }, logger);
  for (const service of ['order', 'payment']) await migrate(pool, { dir: serviceDir(service, 'migrations') }, logger);
});

afterAll(async () => {
  await pool?.end();
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
});

/** Each lookup the consumers make in a batch, with as many keys as a batch at 200 orders/s brings. */
async function lookups(): Promise<void> {
  const orderIds = Array.from({ length: 15 }, () => randomUUID());
  await priorHandling(pool, 'payment', orderIds, orderIds);
  await withTransaction(pool, async (client) => {
    await lockOrders(client, orderIds);
    await setStatuses(client, orderIds.map((orderId) => ({ orderId, status: 'PAID', eventId: randomUUID(), reason: null })));
  });
}

/** Whole-table scans of the orders and payments tables so far (the statistics flushed first, from the pool's backend). */
async function tableScans(): Promise<Record<string, number>> {
  await pool.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await admin.query<{ relname: string; seq_scan: string }>('SELECT relname, seq_scan FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ($2, $3)', [schema, 'orders', 'payments']);
  return Object.fromEntries(rows.map((r) => [r.relname, Number(r.seq_scan)]));
}

describe('the consumers’ lookups of a set of keys', () => {
  it('use the index once the tables have grown, though they were first run on empty tables', async () => {
    // PostgreSQL settles on a generic plan for a prepared statement after five runs.
    for (let i = 0; i < 10; i++) await lookups();
    await pool.query(`INSERT INTO orders (id, status, items, total_cents, delivery_address, payment_method)
      SELECT gen_random_uuid(), 'PAID', '[]', 100, 'somewhere', 'card' FROM generate_series(1, ${ROWS})`);
    await pool.query(`INSERT INTO payments (id, order_id, status, amount_cents, currency, payment_method, attempts, event_id)
      SELECT gen_random_uuid(), gen_random_uuid(), 'paid', 100, 'EUR', 'card', 1, 'e' || n FROM generate_series(1, ${ROWS}) AS n`);
    // No ANALYZE: it would throw the cached plans away (autovacuum runs it about once a minute).
    const before = await tableScans();
    for (let i = 0; i < 10; i++) await lookups();
    expect(await tableScans()).toEqual(before);
  });
});
