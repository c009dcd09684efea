/**
 * What the machine itself can do, measured in the same run on the same PostgreSQL and Kafka the
 * saga uses: the saga's write mix as bare transactions (same durability: synchronous commit), and
 * Kafka produce throughput for records of the saga's size (acks=all, idempotent) — the ceilings
 * the saga's own rate is compared with.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createEvent, encodeEvent } from '../../services/events/index.js';
import { createProducer } from '../../services/kit/kafka.js';
import { toolsKafka } from '../runtime/common/index.js';
import type { StackPlan } from '../runtime/stack-spec.js';

const SCHEMA = 'bench_ceiling';

export interface PostgresCeiling {
  /** Committed transactions per second, over all clients. */
  transactionsPerSecond: number;
  /** The same, as whole sagas: every transaction one saga makes, once. */
  sagasPerSecond: number;
  transactionsPerSaga: number;
  clients: number;
}

export interface KafkaCeiling {
  recordsPerSecond: number;
  megabytesPerSecond: number;
  recordBytes: number;
}

/** One saga's transactions against PostgreSQL, as the services write them (order, payment, provider, order, notification ×2). */
const SAGA_TRANSACTIONS: ((c: pg.ClientBase, id: string) => Promise<unknown>)[] = [
  (c, id) => c.query(`WITH o AS (INSERT INTO ${SCHEMA}.orders (id, status, payload) VALUES ($1, 'PENDING_PAYMENT', $2) RETURNING id) INSERT INTO ${SCHEMA}.history (order_id, status) SELECT id, 'PENDING_PAYMENT' FROM o`, [id, 'x'.repeat(300)]).then(() => c.query(`INSERT INTO ${SCHEMA}.outbox (payload) VALUES ($1)`, ['x'.repeat(450)])),
  (c, id) => c.query(`INSERT INTO ${SCHEMA}.charges (key, order_id) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [id]),
  (c, id) => c.query(`INSERT INTO ${SCHEMA}.inbox (event_id) VALUES ($1)`, [`p-${id}`]).then(() => c.query(`INSERT INTO ${SCHEMA}.payments (order_id) VALUES ($1)`, [id])).then(() => c.query(`INSERT INTO ${SCHEMA}.outbox (payload) VALUES ($1)`, ['x'.repeat(300)])),
  (c, id) => c.query(`INSERT INTO ${SCHEMA}.inbox (event_id) VALUES ($1)`, [`o-${id}`]).then(() => c.query(`UPDATE ${SCHEMA}.orders SET status = 'PAID' WHERE id = $1`, [id])).then(() => c.query(`INSERT INTO ${SCHEMA}.history (order_id, status) VALUES ($1, 'PAID')`, [id])),
  (c, id) => c.query(`INSERT INTO ${SCHEMA}.inbox (event_id) VALUES ($1)`, [`n1-${id}`]).then(() => c.query(`INSERT INTO ${SCHEMA}.notifications (order_id, kind) VALUES ($1, 'order-received')`, [id])).then(() => c.query(`INSERT INTO ${SCHEMA}.outbox (payload) VALUES ($1)`, ['x'.repeat(250)])),
  (c, id) => c.query(`INSERT INTO ${SCHEMA}.inbox (event_id) VALUES ($1)`, [`n2-${id}`]).then(() => c.query(`INSERT INTO ${SCHEMA}.notifications (order_id, kind) VALUES ($1, 'order-paid')`, [id])).then(() => c.query(`INSERT INTO ${SCHEMA}.outbox (payload) VALUES ($1)`, ['x'.repeat(250)])),
];

export async function postgresCeiling(plan: StackPlan, durationMs: number, clients = 16): Promise<PostgresCeiling> {
  const admin = new pg.Client({ connectionString: plan.endpoints.postgres });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  await admin.query(`CREATE TABLE ${SCHEMA}.orders (id text PRIMARY KEY, status text, payload text, created_at timestamptz DEFAULT now());
    CREATE TABLE ${SCHEMA}.history (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id text, status text, at timestamptz DEFAULT now());
    CREATE TABLE ${SCHEMA}.outbox (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text);
    CREATE TABLE ${SCHEMA}.inbox (event_id text PRIMARY KEY);
    CREATE TABLE ${SCHEMA}.payments (order_id text PRIMARY KEY);
    CREATE TABLE ${SCHEMA}.charges (key text PRIMARY KEY, order_id text);
    CREATE TABLE ${SCHEMA}.notifications (order_id text, kind text, PRIMARY KEY (order_id, kind));`);
  const pool = new pg.Pool({ connectionString: plan.endpoints.postgres, max: clients });
  let committed = 0;
  const deadline = Date.now() + durationMs;
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const client = await pool.connect();
        try {
          while (Date.now() < deadline) {
            const id = randomUUID();
            for (const tx of SAGA_TRANSACTIONS) {
              await client.query('BEGIN');
              await tx(client, id);
              await client.query('COMMIT');
              committed++;
            }
          }
        } finally {
          client.release();
        }
      }),
    );
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
    await admin.end();
  }
  const seconds = durationMs / 1000;
  return { transactionsPerSecond: committed / seconds, sagasPerSecond: committed / SAGA_TRANSACTIONS.length / seconds, transactionsPerSaga: SAGA_TRANSACTIONS.length, clients };
}

/** Produces OrderCreated-sized records (idempotent, acks=all) to a scratch topic as fast as Kafka takes them. */
export async function kafkaCeiling(plan: StackPlan, durationMs: number): Promise<KafkaCeiling> {
  const kafka = toolsKafka(plan.endpoints.kafka, 'pizza-lab-bench');
  const topic = `bench-produce-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: plan.topics.partitions, replicationFactor: plan.topics.replicationFactor }] });
  // The services' own producer settings, so the ceiling is theirs.
  const producer = await createProducer(kafka);
  const orderId = randomUUID();
  const sample = encodeEvent(
    createEvent({
      type: 'OrderCreated',
      source: 'order',
      data: { orderId, items: [{ pizzaId: 'margherita', name: 'Margherita', quantity: 2, unitPriceCents: 850 }], totalCents: 1700, currency: 'EUR', deliveryAddress: '12 Benchmark Road', paymentMethod: 'card', createdAt: new Date().toISOString() },
    }),
  );
  const recordBytes = Buffer.byteLength(sample.value) + Object.entries(sample.headers).reduce((n, [k, v]) => n + k.length + v.length, 0) + 36;
  const batch = Array.from({ length: 200 }, () => ({ key: randomUUID(), value: sample.value, headers: sample.headers }));
  let sent = 0;
  const deadline = Date.now() + durationMs;
  const started = Date.now();
  try {
    // A few batches in flight at once, as a relay under load would have.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < deadline) {
          await producer.send({ topic, acks: -1, messages: batch });
          sent += batch.length;
        }
      }),
    );
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
  const seconds = (Date.now() - started) / 1000;
  return { recordsPerSecond: sent / seconds, megabytesPerSecond: (sent * recordBytes) / seconds / 1e6, recordBytes };
}
