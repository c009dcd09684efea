/**
 * The outbox relay, on the lab's PostgreSQL and Kafka: it looks from a floor below which every row
 * is published, so a look does not walk the rows deleted since autovacuum last came by; and the
 * floor never passes a row that a transaction still open may commit below it.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../cli/watch/event-stream.js';
import { createEvent, type SagaEvent } from '../services/events/index.js';
import { migrate, withTransaction } from '../services/kit/db.js';
import { createPublisher, type Publisher } from '../services/kit/kafka.js';
import { createMetrics } from '../services/kit/metrics.js';
import { appendToOutbox, startOutboxRelay, type OutboxRelay } from '../services/kit/outbox.js';
import { packageRoot } from '../services/kit/paths.js';
import { sleep } from '../services/kit/retry.js';
import { eventually, lab } from './support/lab.js';
import { createTopic } from './support/topics.js';

const { plan } = lab();
const id = randomUUID().slice(0, 8);
const schema = `relay_${id}`;
const service = `relay-test-${id}`;
const topic = `outbox-relay-${id}`;
const kafka = new Kafka({ clientId: service, brokers: plan.endpoints.kafka, logLevel: logLevel.NOTHING });
const databaseUrl = `${plan.endpoints.postgres}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
let admin: pg.Client;
let pool: pg.Pool;
let kafkaPublisher: Publisher;
let relay: OutboxRelay | undefined;
let deleteTopic: (() => Promise<void>) | undefined;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: plan.endpoints.postgres });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  await migrate(pool, { dir: join(packageRoot, 'services', 'kit', 'migrations'), only: ['outbox.sql'], namespace: 'kit' }, pino({ level: 'silent' }));
  // Nothing tidies the deleted rows away during the test: the relay alone must step over them.
  await pool.query('ALTER TABLE outbox SET (autovacuum_enabled = false)');
  deleteTopic = await createTopic(kafka, topic);
  kafkaPublisher = await createPublisher(kafka);
});

afterAll(async () => {
  await relay?.stop();
  await kafkaPublisher?.close();
  await pool?.end();
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.end();
  await deleteTopic?.();
});

/** The lab's publisher, with every record sent to this test's topic instead of the saga's. */
const publisher: Publisher = {
  publish: (records) => kafkaPublisher.publish(records.map((record) => ({ ...record, topic }))) as never,
  close: async () => undefined,
};

function startRelay(): OutboxRelay {
  const logger = pino({ level: 'silent' });
  return startOutboxRelay({ config: { databaseUrl, instance: service, service }, logger, metrics: createMetrics({ service, instance: service }), publisher, pool, pollMs: 50 });
}

/** An event about the order `orderId`, keyed by it. */
function event(orderId: string): SagaEvent {
  return createEvent({
    type: 'NotificationSent',
    source: service,
    data: { orderId, notificationId: randomUUID(), kind: 'order-received', channel: 'email', causeEventId: randomUUID(), sentAt: new Date().toISOString() },
  });
}

/** The ids of the events on the test's topic, in the order they were published. */
async function published(): Promise<string[]> {
  return (await readEvents(plan.endpoints.kafka, { kind: 'beginning' }, () => true, [topic])).map((r) => r.headers.ce_id!);
}

async function outboxRows(): Promise<number> {
  const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.outbox`);
  return Number(rows[0]!.n);
}

describe('the outbox relay', () => {
  // Two orders of events: the open transaction took its transaction id before the one that
  // commits first, or after it (every service's transaction takes its id at its first write,
  // often long before its outbox row). The second is the one a floor taken from the snapshot's
  // xmax gets wrong on an idle database: the open transaction is not among those the snapshot
  // lists, nor does it hold its xmin back.
  it.each([
    { firstId: 'the open transaction' },
    { firstId: 'the transaction that commits first' },
  ])('publishes a row committed after rows with higher ids were published, before the same order’s next event ($firstId took its transaction id first)', async ({ firstId }) => {
    relay ??= startRelay();
    const orderA = randomUUID();
    const first = event(orderA);
    const other = event(randomUUID());
    const next = event(orderA);

    const committing = await pool.connect();
    const open = await pool.connect();
    try {
      await committing.query('BEGIN');
      if (firstId === 'the transaction that commits first') await committing.query('SELECT pg_current_xact_id()');
      // The open transaction takes the lower row id and stays open while the other commits and is published.
      await open.query('BEGIN');
      await appendToOutbox(open, service, [first]);
      await appendToOutbox(committing, service, [other]);
      await committing.query('COMMIT');
      await eventually('the later row on Kafka', async () => (await published()).includes(other.id));
      // Many looks pass meanwhile (every 50 ms): a relay that looked only above the highest id it
      // had published would never see the open transaction's row.
      await sleep(500);
      await open.query('COMMIT');
    } finally {
      committing.release();
      open.release();
    }
    await withTransaction(pool, (client) => appendToOutbox(client, service, [next]));

    const ours = async () => (await published()).filter((id) => [first.id, other.id, next.id].includes(id));
    await eventually('all three on Kafka', async () => (await ours()).length === 3);
    expect(await ours()).toEqual([other.id, first.id, next.id]);
    expect(await outboxRows()).toBe(0);
  });

  it('steps over the rows it has published and deleted instead of reading them again at every look', async () => {
    relay ??= startRelay();
    const before = (await published()).length;
    // 5,000 rows of about a kilobyte, published and deleted in batches of 500.
    await withTransaction(pool, (client) => appendToOutbox(client, service, Array.from({ length: 5000 }, () => event(randomUUID()))));
    await eventually('the outbox empty', async () => (await outboxRows()) === 0, 60_000);
    expect((await published()).length).toBe(before + 5000);

    // Blocks the relay's look reads, per look, while it looks every 50 ms at an empty outbox
    // (pg_stat_statements: the look's statement by this test's user, whatever its text before).
    const looks = async () => {
      const { rows } = await admin.query<{ calls: string | null; blocks: string | null }>(
        `SELECT sum(calls) AS calls, sum(shared_blks_hit + shared_blks_read) AS blocks FROM pg_stat_statements
         WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND query LIKE '%FROM outbox%ORDER BY id%'`,
      );
      return { calls: Number(rows[0]!.calls ?? 0), blocks: Number(rows[0]!.blocks ?? 0) };
    };
    await sleep(500);
    const start = await looks();
    await sleep(2000);
    const end = await looks();
    const calls = end.calls - start.calls;
    expect(calls).toBeGreaterThan(10);
    // Walking the deleted rows would read every leaf page of the index (more than a dozen for
    // 5,000 ids) or every page of the table; stepping over them, an index descent.
    expect((end.blocks - start.blocks) / calls).toBeLessThan(6);
  });
});
