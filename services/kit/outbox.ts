/**
 * The transactional outbox. A service never publishes inside a request or a handler: it writes
 * its events to the `outbox` table in the same transaction as its state (`appendToOutbox`), and
 * one relay per service publishes them. The relay publishes in id order and in batches, deletes
 * what Kafka acknowledged, and holds an advisory lock so that only one instance relays at a time
 * — which keeps each order's events in order.
 *
 * Waking the relay: after a commit, a writer in the relay's own process wakes it directly; a
 * writer in another instance sends a NOTIFY, at most one per few milliseconds. Not one NOTIFY per
 * transaction: PostgreSQL serialises the commits of notifying transactions on one global lock,
 * which caps a whole database at a few hundred such commits a second.
 */
import pg from 'pg';
import { encodeEvent, type SagaEvent } from '../events/index.js';
import type { ServiceConfig } from './config.js';
import { afterCommit, planned, prepared } from './db.js';
import type { Publisher } from './kafka.js';
import { messageOf } from './errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { backoffDelay, sleep } from './retry.js';

/** Channel names are database-wide; every service has its own. */
export function outboxChannel(service: string): string {
  return `outbox_${service.replace(/-/g, '_')}`;
}

interface RelayHandle {
  active: boolean;
  wakeHere(): void;
  notifyOthers(): void;
}

/** The relay of each service in this process (active, or standing by for the lock). */
const relays = new Map<string, RelayHandle>();

/** Tells the relay that events were committed (done for you by appendToOutbox inside withTransaction). */
export function wakeRelay(service: string): void {
  const relay = relays.get(service);
  if (!relay) return;
  if (relay.active) relay.wakeHere();
  else relay.notifyOthers();
}

/**
 * The outbox INSERT for these events, its parameters numbered from `first` — for a caller that
 * writes its state and its events in one statement (one round trip instead of a transaction).
 * With `onlyForIdsIn`, only the events whose key (their order id) that CTE of the statement
 * returned as `id` are written.
 */
export function outboxInsert(events: readonly SagaEvent[], first = 1, options: { onlyForIdsIn?: string } = {}): { sql: string; params: unknown[] } {
  // (The text depends only on `first` and `onlyForIdsIn`, so it prepares once per caller.)
  const encoded = events.map((event) => ({ event, record: encodeEvent(event) }));
  const p = (i: number) => `$${first + i}`;
  const rows = `unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::jsonb[], ${p(5)}::text[]) AS e(event_id, event_type, topic, event_key, headers, payload)`;
  return {
    sql: `INSERT INTO outbox (event_id, event_type, topic, event_key, headers, payload)
     SELECT e.* FROM ${rows}${options.onlyForIdsIn ? ` WHERE e.event_key IN (SELECT id::text FROM ${options.onlyForIdsIn})` : ''}`,
    params: [
      encoded.map((e) => e.event.id),
      encoded.map((e) => e.event.type),
      encoded.map((e) => e.record.topic),
      encoded.map((e) => e.record.key),
      encoded.map((e) => JSON.stringify(e.record.headers)),
      encoded.map((e) => e.record.value),
    ],
  };
}

/** Writes events to the outbox inside the caller's transaction; the relay is woken once it commits. */
export async function appendToOutbox(client: pg.ClientBase, service: string, events: readonly SagaEvent[]): Promise<void> {
  if (events.length === 0) return;
  afterCommit(client, () => wakeRelay(service));
  const { sql, params } = outboxInsert(events);
  await client.query(prepared(sql)(params));
}

interface OutboxRow {
  id: string;
  event_type: string;
  topic: string;
  event_key: string | null;
  headers: Record<string, string>;
  payload: string;
}

const NOTIFY_EVERY_MS = 5;
const nextBatch = prepared('SELECT id, event_type, topic, event_key, headers, payload FROM outbox ORDER BY id LIMIT $1');
const removePublished = planned('DELETE FROM outbox WHERE id = ANY($1::bigint[])');
const COALESCE_MS = 3;

export interface OutboxRelayOptions {
  config: Pick<ServiceConfig, 'databaseUrl' | 'instance' | 'service'>;
  logger: Logger;
  metrics: Metrics;
  publisher: Publisher;
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
  const { config, metrics, publisher } = options;
  const logger = options.logger.child({ component: 'outbox-relay' });
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1000;
  const channel = outboxChannel(config.service);
  let client: pg.Client | undefined;
  let active = false;
  let running = true;
  let wake: (() => void) | undefined;
  let failures = 0;
  // Set by a wake-up that arrives while the relay is busy, so that it looks again at once.
  let pending = false;
  const signal = () => {
    pending = true;
    wake?.();
  };

  // Other instances' writers wake this relay with a NOTIFY: one per NOTIFY_EVERY_MS at most,
  // sent after the window so that the last commit in it is never left unannounced.
  let notifyPending = false;
  const handle: RelayHandle = {
    get active() {
      return active;
    },
    wakeHere: signal,
    notifyOthers: () => {
      if (notifyPending) return;
      notifyPending = true;
      setTimeout(() => {
        notifyPending = false;
        options.pool.query('SELECT pg_notify($1, NULL)', [channel]).catch(() => {});
      }, NOTIFY_EVERY_MS).unref();
    },
  };
  relays.set(config.service, handle);

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
    c.on('notification', signal);
    await c.query(`LISTEN ${channel}`);
    client = c;
    active = true;
    logger.info('this instance relays the outbox');
  }

  /** Publishes everything in the outbox, a batch at a time; a row leaves only once Kafka has acknowledged its partition. */
  async function drain(c: pg.Client): Promise<void> {
    for (;;) {
      const { rows } = await c.query<OutboxRow>(nextBatch([batchSize]));
      if (rows.length === 0) return;
      const { acked, unacked } = await publisher.publish(rows.map((row) => ({ row, topic: row.topic, key: row.event_key, value: row.payload, headers: row.headers })));
      await c.query(removePublished([acked.map((r) => r.row.id)]));
      for (const { row } of acked) metrics.eventsPublished.inc({ topic: row.topic, type: row.event_type });
      if (unacked.length > 0) throw new Error(`Kafka did not acknowledge ${unacked.join(', ')}; those events stay in the outbox and are sent again`);
      if (rows.length < batchSize) return;
    }
  }

  const loop = (async () => {
    while (running) {
      try {
        if (!client) await connect();
        if (client) {
          pending = false;
          await drain(client);
          if (failures > 0) logger.info({ failures }, 'outbox relay publishing again');
          failures = 0;
        }
        if (!pending) await nap(client ? pollMs : 2000);
        // A moment for the commits arriving together to join one batch: fewer queries, fewer Kafka requests.
        await sleep(COALESCE_MS);
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
      relays.delete(config.service);
      clearInterval(backlogTimer);
      wake?.();
      await loop;
      await client?.end().catch(() => {});
      client = undefined;
      active = false;
    },
  };
}
