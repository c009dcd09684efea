/**
 * The transactional outbox. A service never publishes inside a request or a handler: it writes
 * its events to the `outbox` table in the same transaction as its state (`appendToOutbox`), and
 * one relay per service publishes them. The relay wakes on NOTIFY, publishes in id order and in
 * batches, deletes what Kafka acknowledged, and holds an advisory lock so that only one instance
 * relays at a time — which keeps each order's events in order.
 */
import type { Producer } from 'kafkajs';
import pg from 'pg';
import { encodeEvent, type SagaEvent } from '../events/index.js';
import type { ServiceConfig } from './config.js';
import { messageOf } from './errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { backoffDelay, sleep } from './retry.js';

/** Channel names are database-wide; every service has its own. */
export function outboxChannel(service: string): string {
  return `outbox_${service.replace(/-/g, '_')}`;
}

/** Writes events to the outbox inside the caller's transaction and wakes the relay on commit. */
export async function appendToOutbox(client: pg.ClientBase, service: string, events: readonly SagaEvent[]): Promise<void> {
  if (events.length === 0) return;
  const encoded = events.map((event) => ({ event, record: encodeEvent(event) }));
  await client.query(
    `INSERT INTO outbox (event_id, event_type, topic, event_key, headers, payload)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[])`,
    [
      encoded.map((e) => e.event.id),
      encoded.map((e) => e.event.type),
      encoded.map((e) => e.record.topic),
      encoded.map((e) => e.record.key),
      encoded.map((e) => JSON.stringify(e.record.headers)),
      encoded.map((e) => e.record.value),
    ],
  );
  await client.query('SELECT pg_notify($1, NULL)', [outboxChannel(service)]);
}

interface OutboxRow {
  id: string;
  event_type: string;
  topic: string;
  event_key: string | null;
  headers: Record<string, string>;
  payload: string;
}

export interface OutboxRelayOptions {
  config: Pick<ServiceConfig, 'databaseUrl' | 'instance' | 'service'>;
  logger: Logger;
  metrics: Metrics;
  producer: Producer;
  /** Pool for the backlog gauge (counted every 2 s). */
  pool: pg.Pool;
  batchSize?: number;
  /** Also look without a NOTIFY this often (a missed notification costs at most this). */
  pollMs?: number;
}

export interface OutboxRelay {
  /** Whether this instance holds the relay lock. */
  readonly active: boolean;
  stop(): Promise<void>;
}

export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { config, metrics, producer } = options;
  const logger = options.logger.child({ component: 'outbox-relay' });
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1000;
  const channel = outboxChannel(config.service);
  let client: pg.Client | undefined;
  let active = false;
  let running = true;
  let wake: (() => void) | undefined;
  let failures = 0;

  const backlogTimer = setInterval(async () => {
    try {
      const { rows } = await options.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
      metrics.outboxBacklog.set(rows[0]!.n);
    } catch {
      // The database is unreachable: keep the last figure.
    }
  }, 2000);
  backlogTimer.unref();

  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: config.databaseUrl, application_name: `${config.instance}-relay`, connectionTimeoutMillis: 2000, query_timeout: 10_000 });
    c.on('error', () => {});
    c.on('end', () => {
      if (client === c) {
        client = undefined;
        if (active) logger.warn('relay lost its database connection');
        active = false;
      }
    });
    await c.connect();
    const { rows } = await c.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext(current_schema() || ':outbox-relay')) AS locked");
    if (!rows[0]!.locked) {
      await c.end();
      return;
    }
    c.on('notification', () => wake?.());
    await c.query(`LISTEN ${channel}`);
    client = c;
    active = true;
    logger.info('this instance relays the outbox');
  }

  /** Publishes everything in the outbox, a batch at a time; rows leave only once Kafka has them. */
  async function drain(c: pg.Client): Promise<void> {
    for (;;) {
      const { rows } = await c.query<OutboxRow>('SELECT id, event_type, topic, event_key, headers, payload FROM outbox ORDER BY id LIMIT $1', [batchSize]);
      if (rows.length === 0) return;
      const byTopic = new Map<string, { key: string | null; value: string; headers: Record<string, string> }[]>();
      for (const row of rows) {
        const list = byTopic.get(row.topic) ?? [];
        list.push({ key: row.event_key, value: row.payload, headers: row.headers });
        byTopic.set(row.topic, list);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      await c.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      for (const row of rows) metrics.eventsPublished.inc({ topic: row.topic, type: row.event_type });
      if (rows.length < batchSize) return;
    }
  }

  const loop = (async () => {
    while (running) {
      try {
        if (!client) await connect();
        if (client) {
          await drain(client);
          if (failures > 0) logger.info({ failures }, 'outbox relay publishing again');
          failures = 0;
        }
        await nap(client ? pollMs : 2000);
      } catch (error) {
        failures++;
        const delay = backoffDelay(failures, { initialMs: 200, maxMs: 5000 });
        if (failures === 1 || failures % 20 === 0) logger.warn({ err: messageOf(error), failures, retryInMs: delay }, 'outbox relay cannot publish yet; events stay in the outbox');
        await sleep(delay);
      }
    }
  })();

  return {
    get active() {
      return active;
    },
    async stop() {
      running = false;
      clearInterval(backlogTimer);
      wake?.();
      await loop;
      await client?.end().catch(() => {});
      client = undefined;
      active = false;
    },
  };
}
