/**
 * The infrastructure of the native lab, as a service and a user meet it: Kafka through a
 * service's own fault-proxy link, PostgreSQL with a role and schema per service.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, lab } from './support/lab.js';

const { plan } = lab();
const proxy = (name: string) => plan.proxies.find((p) => p.name === name)!;
const kafka = (brokers: string[]) =>
  new Kafka({ clientId: `test-${randomUUID().slice(0, 8)}`, brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1500, requestTimeout: 3000, retry: { retries: 1, initialRetryTime: 100 } });

async function setLink(name: string, enabled: boolean) {
  const response = await fetch(`${plan.endpoints.faultApi}/proxies/${name}`, { method: 'POST', body: JSON.stringify({ enabled }), headers: { 'content-type': 'application/json' } });
  expect(response.status).toBe(200);
}

/** Produces one message through `brokers` and reads it back; resolves with what was read. */
async function roundTrip(brokers: string[], topic: string, value: string): Promise<string> {
  const client = kafka(brokers);
  const producer = client.producer();
  const consumer = client.consumer({ groupId: `test-${randomUUID()}` });
  try {
    await producer.connect();
    await producer.send({ topic, messages: [{ key: value, value }] });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message on ${topic} within 15 s`)), 15_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === value) {
            clearTimeout(timer);
            resolve(value);
          }
        },
      });
    });
  } finally {
    await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
  }
}

describe('Kafka through a service link', () => {
  const topic = `test-link-${randomUUID().slice(0, 8)}`;
  const orderLink = proxy('order-kafka').listen;

  afterAll(async () => {
    await setLink('order-kafka', true);
  });

  beforeAll(async () => {
    const admin = kafka(plan.endpoints.kafka).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
  });

  it('has the saga topics with six partitions', async () => {
    const admin = kafka(plan.endpoints.kafka).admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: ['order-events', 'payment-events', 'notification-events', 'dlq-events'] });
      expect(metadata.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
        ['dlq-events', 6],
        ['notification-events', 6],
        ['order-events', 6],
        ['payment-events', 6],
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it('produces and consumes through the order-kafka link, and the broker advertises the link to it', async () => {
    const client = kafka([orderLink]);
    const admin = client.admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual([orderLink]);
    expect(await roundTrip([orderLink], topic, `via-link-${randomUUID()}`)).toMatch(/^via-link-/);
  });

  it('cannot reach Kafka with the link cut, while the direct listener is unaffected, and works again once restored', async () => {
    await setLink('order-kafka', false);
    const cut = kafka([orderLink]).producer();
    await expect(cut.connect()).rejects.toThrow();
    await cut.disconnect().catch(() => {});
    expect(await roundTrip(plan.endpoints.kafka, topic, `direct-${randomUUID()}`)).toMatch(/^direct-/);

    await setLink('order-kafka', true);
    const value = `restored-${randomUUID()}`;
    expect(await eventually('the link to carry Kafka again', () => roundTrip([orderLink], topic, value), 30_000)).toBe(value);
  });
});

describe('PostgreSQL', () => {
  const roles = plan.postgres.roles;
  const connect = (user: string, password: string) => new pg.Client({ host: plan.host, port: plan.postgres.port, database: plan.postgres.database, user, password });

  it('answers on its port with PostgreSQL 17', async () => {
    const admin = connect(plan.postgres.adminUser, plan.postgres.adminPassword);
    await admin.connect();
    const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
    await admin.end();
    expect(rows[0]!.server_version).toMatch(/^17\./);
  });

  it('gives every service a role and schema of its own, and no access to the others', async () => {
    expect(roles.map((r) => r.service).sort()).toEqual(['dlq', 'frontend', 'notification', 'order', 'payment', 'payment-provider']);
    const [mine, other] = [roles.find((r) => r.service === 'payment')!, roles.find((r) => r.service === 'order')!];
    const client = connect(mine.role, mine.password);
    await client.connect();
    try {
      const table = `t_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
      await client.query(`CREATE TABLE ${table} (id int primary key)`);
      await client.query(`INSERT INTO ${table} VALUES (1)`);
      const { rows } = await client.query(`SELECT current_schema() AS schema, count(*)::int AS n FROM ${mine.schema}.${table}`);
      expect(rows[0]).toEqual({ schema: mine.schema, n: 1 });
      await client.query(`DROP TABLE ${table}`);
      await expect(client.query(`CREATE TABLE ${other.schema}.intruder (id int)`)).rejects.toThrow(/permission denied for schema/);
      await expect(client.query(`SELECT * FROM ${other.schema}.orders`)).rejects.toThrow(/permission denied for schema|does not exist/);
      await expect(client.query('CREATE TABLE public.intruder (id int)')).rejects.toThrow(/permission denied for schema/);
    } finally {
      await client.end();
    }
  });

  it('refuses a wrong password', async () => {
    const client = connect(roles[0]!.role, 'wrong');
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
  });
});
