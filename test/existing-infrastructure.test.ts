/**
 * `up --postgres URL --kafka HOST:PORT`: a lab on a PostgreSQL and a Kafka that were there before
 * it. The lab creates its database, roles, schemas and topics there, runs the saga on them,
 * refuses the faults and scenarios that would stop servers it does not own, and leaves both
 * running, with their data, after `down --volumes`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../cli/watch/event-stream.js';
import { removePostgresData } from '../cli/runtime/native/postgres.js';
import { ALL_TOPICS } from '../services/events/index.js';
import { startOwnKafka, type OwnKafka } from './support/kafka.js';
import { runCli } from './support/lab.js';
import { freePortBlock, labPorts } from './support/ports.js';
import { startOwnPostgres, type OwnPostgres } from './support/postgres.js';

describe('pizza-lab up --postgres URL --kafka HOST:PORT (an existing database and broker)', () => {
  let folder: string;
  let home: string;
  let portArgs: string[];
  let database: OwnPostgres;
  let broker: OwnKafka;
  let orderId: string;
  const shop = () => new pg.Client({ connectionString: database.url('shop') });

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'pizza-lab-existing-'));
    home = join(folder, '.pizza-lab');
    [database, broker] = await Promise.all([startOwnPostgres(join(folder, 'existing-postgres'), await freePortBlock(1)), startOwnKafka(join(folder, 'existing-kafka'))]);
    const { ports, portBase } = await labPorts();
    portArgs = ['--gateway-port', String(ports.gateway), '--fault-port', String(ports.faultApi), '--port-base', String(portBase)];
  }, 180_000);

  afterAll(async () => {
    await runCli(['down', '--volumes'], { home, timeoutMs: 120_000 });
    await Promise.allSettled([database?.stop(), broker?.stop()]);
    await removePostgresData(join(folder, 'existing-postgres'));
    await rm(folder, { recursive: true, force: true });
  });

  it('refuses a --postgres that is not a postgres: URL, or a --kafka that is not HOST:PORT, in one line (exit 2), and starts nothing', async () => {
    const badUrl = await runCli(['up', '--postgres', 'http://127.0.0.1:5432/shop', ...portArgs], { home });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--postgres: "http:" is not postgres:/);
    const badKafka = await runCli(['up', '--kafka', 'localhost', ...portArgs], { home });
    expect(badKafka.code).toBe(2);
    expect(badKafka.stderr).toMatch(/--kafka "localhost" is not HOST:PORT/);
    expect((await runCli(['status'], { home })).code).toBe(1);
  });

  it('runs the saga on them, without a PostgreSQL or a broker of its own', async () => {
    const up = await runCli(['up', '--postgres', database.url('shop'), '--kafka', broker.bootstrap, ...portArgs], { home, timeoutMs: 150_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).not.toMatch(/^(postgres|kafka)\s/m);
    expect(up.stdout).toMatch(/^fault-proxy\s+fault-proxy\s+running/m);
    // The database's password is the user's own, so it is not printed.
    expect(up.stdout).toContain(`${database.url('shop').replace(':postgres@', ':***@')}  (existing, --postgres)`);
    expect(up.stdout).toContain(`${broker.bootstrap}  (existing, --kafka)`);

    const since = Date.now();
    const placed = await runCli(['order', '--follow', '--json'], { home, timeoutMs: 60_000 });
    expect(placed.code, placed.stderr).toBe(0);
    const last = JSON.parse(placed.stdout.trim().split('\n').pop()!) as { orderId: string; status: string };
    expect(last.status).toBe('PAID');
    orderId = last.orderId;

    const db = shop();
    await db.connect();
    try {
      expect((await db.query('SELECT status FROM order_svc.orders WHERE id = $1', [orderId])).rows).toEqual([{ status: 'PAID' }]);
      const schemas = (await db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE '%_svc' ORDER BY 1")).rows.map((r) => r.nspname);
      expect(schemas).toEqual(['dlq_svc', 'frontend_svc', 'notification_svc', 'order_svc', 'payment_provider_svc', 'payment_svc']);
    } finally {
      await db.end();
    }
    // The lab's topics, and this order's events, are on the existing broker.
    const admin = new Kafka({ clientId: 'existing-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining([...ALL_TOPICS]));
    } finally {
      await admin.disconnect();
    }
    const events = await readEvents([broker.bootstrap], { kind: 'time', at: since - 1000 }, (r) => r.event?.subject === orderId);
    expect(events.map((r) => r.event!.type)).toEqual(expect.arrayContaining(['OrderCreated', 'OrderPaid']));
  });

  it('refuses to fault what it does not run: db-outage, kafka-outage, partition (from Kafka), kill kafka', async () => {
    const dbOutage = await runCli(['scenario', 'db-outage', '--quick'], { home, timeoutMs: 60_000 });
    expect(dbOutage.code).toBe(1);
    expect(dbOutage.stderr).toContain("db-outage stops the lab's PostgreSQL, and this lab uses an existing database (up --postgres)");
    const kafkaOutage = await runCli(['scenario', 'kafka-outage', '--quick'], { home, timeoutMs: 60_000 });
    expect(kafkaOutage.code).toBe(1);
    expect(kafkaOutage.stderr).toContain("kafka-outage stops the lab's Kafka, and this lab uses an existing one (up --kafka)");
    const partition = await runCli(['scenario', 'partition', '--quick'], { home, timeoutMs: 60_000 });
    expect(partition.code).toBe(1);
    expect(partition.stderr).toContain("partition cuts payment's Kafka link, and this lab uses an existing Kafka (up --kafka)");
    const kill = await runCli(['fault', 'kill', 'kafka'], { home });
    expect(kill.code).toBe(2);
    expect(kill.stderr).toContain('this lab uses an existing Kafka (up --kafka): it has no broker of its own to fault');
    // What it does own still breaks and heals: its link to the database.
    const cut = await runCli(['fault', 'partition', 'order', '--from', 'postgres'], { home });
    expect(cut.code, cut.stderr).toBe(0);
    expect((await runCli(['fault', 'heal'], { home })).code).toBe(0);
  });

  it('down --volumes leaves both running, with the lab\'s schemas, orders and topics in them', async () => {
    const down = await runCli(['down', '--volumes'], { home, timeoutMs: 120_000 });
    expect(down.code, down.stderr).toBe(0);
    const said = `${down.stdout}${down.stderr}`;
    expect(said).toContain("keeps the lab's schemas: frontend_svc, payment_provider_svc, order_svc, payment_svc, notification_svc, dlq_svc");
    expect(said).toContain(`the Kafka at ${broker.bootstrap} (--kafka) keeps the lab's topics and consumer groups`);
    const db = shop();
    await db.connect();
    try {
      expect((await db.query('SELECT status FROM order_svc.orders WHERE id = $1', [orderId])).rows).toEqual([{ status: 'PAID' }]);
    } finally {
      await db.end();
    }
    const events = await readEvents([broker.bootstrap], { kind: 'time', at: 0 }, (r) => r.event?.subject === orderId);
    expect(events.length).toBeGreaterThanOrEqual(2);
  });
});
