/**
 * The transactional outbox. A service never publishes inside a request or a handler: it writes
 * its events to the `outbox` table in the same transaction as its state (`appendToOutbox`), and
 * one relay per service publishes them. The relay publishes in id order and in batches, deletes
 * what Kafka acknowledged, and holds an advisory lock so that only one instance relays at a time
 * — which keeps each order's events in order.
 *
 * Where the relay looks: from a floor, the highest id below which every row is published. Without
 * it, each look walks every row deleted since autovacuum last came by (about once a minute): the
 * index entries, or the whole table in the plan PostgreSQL keeps for an empty one — at 450 orders a
 * second that walk grew to 3.5–4.9 ms a look. The floor rises only past rows that can no longer
 * appear: an id is taken when a row is inserted, but the row is seen only once its transaction
 * commits, so a transaction still open can commit a lower id than the relay has already
 * published. A batch's highest id becomes the floor once every transaction that was open when the
 * batch was read has ended, and a later look — still from the old floor — has published what they
 * committed.
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
  // pg_current_xact_id() before the row's id: the transaction is among those the relay waits for
  // (see `Floor`) from before it takes an id, even when this insert is its first write.
  return {
    sql: `INSERT INTO outbox (event_id, event_type, topic, event_key, headers, payload)
     SELECT e.* FROM ${rows} WHERE pg_current_xact_id() IS NOT NULL${options.onlyForIdsIn ? ` AND e.event_key IN (SELECT id::text FROM ${options.onlyForIdsIn})` : ''}`,
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
interface BatchRow extends Partial<OutboxRow> {
  /** The oldest transaction still open, and the first not yet started, when the batch was read. */
  xmin: string;
  xmax: string;
}

// Planned with its values: `id > floor` must be an index range scan whatever the table looked like
// when a generic plan would have been made. One row with no outbox columns when nothing is there.
const nextBatch = planned(`SELECT pg_snapshot_xmin(s.snapshot)::text AS xmin, pg_snapshot_xmax(s.snapshot)::text AS xmax, o.*
  FROM (SELECT pg_current_snapshot() AS snapshot) s
  LEFT JOIN LATERAL (SELECT id, event_type, topic, event_key, headers, payload FROM outbox WHERE id > $1 ORDER BY id LIMIT $2) o ON true
  ORDER BY o.id`);
const countBacklog = planned('SELECT count(*)::int AS n FROM outbox WHERE id > $1');
const removePublished = planned('DELETE FROM outbox WHERE id = ANY($1::bigint[])');
const COALESCE_MS = 3;

/** What one look at the outbox found, once all of it is published. */
export interface PublishedBatch {
  /** Of the snapshot the batch was read in: the oldest transaction still open, and the first not yet started. */
  xmin: bigint;
  xmax: bigint;
  /** The batch's highest id; undefined when it was empty. */
  lastId: bigint | undefined;
  /** It held every row above the floor that its snapshot saw (it was not cut short by the batch size). */
  complete: boolean;
}

/** At most this many batches wait for the transactions open when they were read (a long one holds them all). */
const MAX_WAITING = 64;

/**
 * The relay's floor: every row with an id at or below `value` is published. A batch's highest id
 * waits until a look whose snapshot began after every transaction open at the batch's had ended
 * (its xmin has reached the batch's xmax), and whose rows reached that id: whatever those
 * transactions committed below it, that look saw and published.
 */
export function createFloor() {
  let value = 0n;
  let waiting: { id: bigint; xmax: bigint }[] = [];
  return {
    get value(): bigint {
      return value;
    },
    /** After a batch read from `value` was published whole (or was empty). */
    published(batch: PublishedBatch): void {
      waiting = waiting.filter((candidate) => {
        const covered = batch.complete || (batch.lastId !== undefined && candidate.id <= batch.lastId);
        if (candidate.xmax > batch.xmin || !covered) return true;
        if (candidate.id > value) value = candidate.id;
        return false;
      });
      if (batch.lastId !== undefined && batch.lastId > value && waiting.length < MAX_WAITING) waiting.push({ id: batch.lastId, xmax: batch.xmax });
    },
    /** Back to looking from the start: after a failure, or when this instance (again) takes the relay lock. */
    reset(): void {
      value = 0n;
      waiting = [];
    },
  };
}

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
  const floor = createFloor();
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
      const { rows } = await options.pool.query<{ n: number }>(countBacklog([floor.value.toString()]));
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
    floor.reset();
    client = c;
    active = true;
    logger.info('this instance relays the outbox');
  }

  /** Publishes everything in the outbox, a batch at a time; a row leaves only once Kafka has acknowledged its partition. */
  async function drain(c: pg.Client): Promise<void> {
    for (;;) {
      const { rows } = await c.query<BatchRow>(nextBatch([floor.value.toString(), batchSize]));
      const batch = rows.filter((row): row is BatchRow & OutboxRow => row.id != null);
      if (batch.length > 0) {
        const { acked, unacked } = await publisher.publish(batch.map((row) => ({ row, topic: row.topic, key: row.event_key, value: row.payload, headers: row.headers })));
        await c.query(removePublished([acked.map((r) => r.row.id)]));
        for (const { row } of acked) metrics.eventsPublished.inc({ topic: row.topic, type: row.event_type });
        if (unacked.length > 0) throw new Error(`Kafka did not acknowledge ${unacked.join(', ')}; those events stay in the outbox and are sent again`);
      }
      const complete = batch.length < batchSize;
      floor.published({ xmin: BigInt(rows[0]!.xmin), xmax: BigInt(rows[0]!.xmax), lastId: batch.length > 0 ? BigInt(batch.at(-1)!.id) : undefined, complete });
      if (complete) return;
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
        floor.reset();
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
