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
 * published. A batch's highest id becomes the floor once every transaction that could hold a lower
 * id has ended and a later look — still from the old floor — has published what they committed
 * (`createFloor`). A write transaction left open anywhere in the cluster holds the floor where it is
 * (looks cost what they did before, nothing is lost), and the relay looks from the start every
 * 30 s anyway.
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
  // pg_current_xact_id() before the row's id (a one-time filter, run before any row): the
  // transaction has its id before it takes a row id, even when this insert is its first write,
  // which the relay's floor relies on (`createFloor`).
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
  /** The snapshot's xmin when the batch was read (see `PublishedBatch`). */
  xmin: string;
}

// The relay's two statements, prepared once on its own connection, where sequential scans are
// off (`RELAY_SESSION`): their plans are made once, and are index scans whatever the table looked
// like then — a plan made for an empty outbox would read the whole table, deleted rows and all.
// Planning them with their values at every look instead cost PostgreSQL about 0.2 ms a saga at
// 200 orders/s. One row with no outbox columns when nothing is there.
const RELAY_SESSION = 'SET enable_seqscan = off';
const nextBatch = prepared(`SELECT pg_snapshot_xmin(s.snapshot)::text AS xmin, o.*
  FROM (SELECT pg_current_snapshot() AS snapshot) s
  LEFT JOIN LATERAL (SELECT id, event_type, topic, event_key, headers, payload FROM outbox WHERE id > $1 ORDER BY id LIMIT $2) o ON true
  ORDER BY o.id`);
const countBacklog = planned('SELECT count(*)::int AS n FROM outbox WHERE id > $1');
/** Deletes what was published; answers the deleting transaction's id, and how many rows it deleted. */
const removePublished = prepared(`WITH gone AS (DELETE FROM outbox WHERE id = ANY($1::bigint[]) RETURNING 1)
  SELECT pg_current_xact_id()::text AS xid, (SELECT count(*) FROM gone)::int AS deleted`);
/** The cache of the outbox's id sequence: the floor needs ids taken in insert order (a cache of 1). */
const idCache = planned("SELECT seqcache::text AS cache FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence('outbox', 'id')::regclass");
/** How often the relay looks from the start all the same: a bound on what a wrong floor could hide. */
const FULL_LOOK_EVERY_MS = 30_000;
const COALESCE_MS = 3;

/** What one look at the outbox found, once all of it is published. */
export interface PublishedBatch {
  /**
   * The snapshot's xmin when the batch was read: the oldest top-level transaction then running
   * below the snapshot's xmax, or xmax when none was. Above a transaction `d` that had ended, it
   * means that no transaction up to `d` was running (xmax was above `d` too).
   */
  xmin: bigint;
  /** The batch's highest id; undefined when it was empty. */
  lastId: bigint | undefined;
  /** The id of the transaction that deleted the batch (taken after the batch was read). */
  deletedBy: bigint | undefined;
  /** It held every row above the floor that its snapshot saw (it was not cut short by the batch size). */
  complete: boolean;
}

/** At most this many batches wait (a long transaction holds them all); a newer one then replaces the newest. */
const MAX_WAITING = 64;

/**
 * The relay's floor: every row with an id at or below `value` is published (or never will be).
 *
 * A row with an id below a batch's highest took its id before that one (ids are taken in insert
 * order), so before the batch was read; and its transaction took its transaction id before the row
 * id (`outboxInsert`), so before the relay's delete of the batch took one. A later look whose
 * oldest running transaction is above the delete's began after all of them had ended (and saw
 * what they committed); once such a look has also reached the batch's highest id, every row up to
 * it is published. (Not the snapshot's xmax: a transaction with a higher id than that can already
 * be running, and it does not hold the xmin back.)
 */
export function createFloor() {
  let value = 0n;
  let waiting: { id: bigint; deletedBy: bigint }[] = [];
  return {
    get value(): bigint {
      return value;
    },
    /** After a batch read from `value` was published whole (or was empty). */
    published(batch: PublishedBatch): void {
      waiting = waiting.filter((candidate) => {
        const covered = batch.complete || (batch.lastId !== undefined && candidate.id <= batch.lastId);
        if (batch.xmin <= candidate.deletedBy || !covered) return true;
        if (candidate.id > value) value = candidate.id;
        return false;
      });
      if (batch.lastId === undefined || batch.deletedBy === undefined || batch.lastId <= value) return;
      if (waiting.length >= MAX_WAITING) waiting.pop();
      waiting.push({ id: batch.lastId, deletedBy: batch.deletedBy });
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
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const pollMs = options.pollMs ?? 1000;
  const channel = outboxChannel(config.service);
  let client: pg.Client | undefined;
  let active = false;
  let running = true;
  let wake: (() => void) | undefined;
  let failures = 0;
  const floor = createFloor();
  let fullLookAt = Date.now();
  // False when the outbox's ids may be taken out of insert order: every look is then from the start.
  let floorUsable = true;
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
    try {
      const { rows } = await c.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext(current_schema() || ':outbox-relay')) AS locked");
      if (!rows[0]!.locked) {
        await c.end();
        return;
      }
      c.on('notification', signal);
      await c.query(`LISTEN ${channel}`);
      await c.query(RELAY_SESSION);
      const cache = (await c.query<{ cache: string }>(idCache([]))).rows[0]?.cache;
      floorUsable = cache === '1';
      if (!floorUsable) logger.warn({ cache }, 'the outbox ids are not taken in insert order (their sequence caches more than one); the relay reads the whole outbox at every look');
    } catch (error) {
      // Without the relay's work done, the connection must not keep the lock from the other instances.
      await c.end().catch(() => {});
      throw error;
    }
    floor.reset();
    client = c;
    active = true;
    logger.info('this instance relays the outbox');
  }

  /** Publishes everything in the outbox, a batch at a time; a row leaves only once Kafka has acknowledged its partition. */
  async function drain(c: pg.Client): Promise<void> {
    if (Date.now() - fullLookAt >= FULL_LOOK_EVERY_MS) {
      floor.reset();
      fullLookAt = Date.now();
    }
    for (;;) {
      const { rows } = await c.query<BatchRow>(nextBatch([floor.value.toString(), batchSize]));
      const batch = rows.filter((row): row is BatchRow & OutboxRow => row.id != null);
      let deletedBy: bigint | undefined;
      if (batch.length > 0) {
        const { acked, unacked } = await publisher.publish(batch.map((row) => ({ row, topic: row.topic, key: row.event_key, value: row.payload, headers: row.headers })));
        const deleted = (await c.query<{ xid: string; deleted: number }>(removePublished([acked.map((r) => r.row.id)]))).rows[0]!;
        if (deleted.deleted < acked.length) logger.warn({ published: acked.length, deleted: deleted.deleted }, 'published outbox rows were already gone: is another relay running on this outbox?');
        for (const { row } of acked) metrics.eventsPublished.inc({ topic: row.topic, type: row.event_type });
        if (unacked.length > 0) throw new Error(`Kafka did not acknowledge ${unacked.join(', ')}; those events stay in the outbox and are sent again`);
        deletedBy = BigInt(deleted.xid);
      }
      const complete = batch.length < batchSize;
      if (floorUsable) floor.published({ xmin: BigInt(rows[0]!.xmin), lastId: batch.length > 0 ? BigInt(batch.at(-1)!.id) : undefined, deletedBy, complete });
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
      // Cleared first: the connection's end is then this stop, not a loss worth a warning.
      const c = client;
      client = undefined;
      active = false;
      await c?.end().catch(() => {});
    },
  };
}
