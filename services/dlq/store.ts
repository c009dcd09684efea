/** The dlq service's SQL: the dead_letters table. */
import type { Pool, PoolClient } from '../kit/index.js';
import type { DeadLetter, DeadLetterKind } from './dead-letter.js';

export type DeadLetterStatus = 'stored' | 'replayed';

export interface StoredDeadLetter extends DeadLetter {
  status: DeadLetterStatus;
  storedAt: Date;
  replayedAt: Date | null;
  replayCount: number;
}

type Queryable = Pool | PoolClient;

interface Row {
  id: string;
  seq: string;
  origin_topic: string;
  origin_partition: number;
  origin_offset: string;
  origin_key: string | null;
  origin_headers: Record<string, string>;
  origin_value: string | null;
  value_encoding: 'utf8' | 'base64';
  consumer: string;
  error_kind: DeadLetterKind;
  error_message: string;
  attempts: number;
  dead_lettered_at: Date;
  trace_id: string | null;
  status: DeadLetterStatus;
  stored_at: Date;
  replayed_at: Date | null;
  replay_count: number;
}

function fromRow(row: Row): StoredDeadLetter {
  return {
    id: row.id,
    origin: { topic: row.origin_topic, partition: row.origin_partition, offset: row.origin_offset, key: row.origin_key, headers: row.origin_headers, value: row.origin_value, valueEncoding: row.value_encoding },
    consumer: row.consumer,
    error: { kind: row.error_kind, message: row.error_message },
    attempts: row.attempts,
    deadLetteredAt: row.dead_lettered_at,
    traceId: row.trace_id,
    status: row.status,
    storedAt: row.stored_at,
    replayedAt: row.replayed_at,
    replayCount: row.replay_count,
  };
}

/** Stores dead letters in one statement; returns those that were new (a re-sent one is skipped). */
export async function insertDeadLetters(db: Queryable, letters: readonly DeadLetter[]): Promise<{ id: string; topic: string; kind: DeadLetterKind }[]> {
  if (letters.length === 0) return [];
  const column = <T>(pick: (d: DeadLetter) => T) => letters.map(pick);
  const { rows } = await db.query<{ id: string; topic: string; kind: DeadLetterKind }>(
    `INSERT INTO dead_letters (id, origin_topic, origin_partition, origin_offset, origin_key, origin_headers, origin_value, value_encoding,
                               consumer, error_kind, error_message, attempts, dead_lettered_at, trace_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::text[],
                          $9::text[], $10::text[], $11::text[], $12::int[], $13::timestamptz[], $14::text[])
     ON CONFLICT (id) DO NOTHING
     RETURNING id, origin_topic AS topic, error_kind AS kind`,
    [
      column((d) => d.id),
      column((d) => d.origin.topic),
      column((d) => d.origin.partition),
      column((d) => d.origin.offset),
      column((d) => d.origin.key),
      column((d) => JSON.stringify(d.origin.headers)),
      column((d) => d.origin.value),
      column((d) => d.origin.valueEncoding),
      column((d) => d.consumer),
      column((d) => d.error.kind),
      column((d) => d.error.message),
      column((d) => d.attempts),
      column((d) => d.deadLetteredAt),
      column((d) => d.traceId),
    ],
  );
  return rows;
}

/** The latest dead letters first, and how many match the filter in all. */
export async function listDeadLetters(db: Queryable, filter: { status?: DeadLetterStatus; limit: number }): Promise<{ deadLetters: StoredDeadLetter[]; total: number }> {
  const [list, count] = await Promise.all([
    db.query<Row>('SELECT * FROM dead_letters WHERE ($1::text IS NULL OR status = $1) ORDER BY dead_lettered_at DESC, id LIMIT $2', [filter.status ?? null, filter.limit]),
    db.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters WHERE ($1::text IS NULL OR status = $1)', [filter.status ?? null]),
  ]);
  return { deadLetters: list.rows.map(fromRow), total: count.rows[0]!.n };
}

export async function findDeadLetter(db: Queryable, id: string): Promise<StoredDeadLetter | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM dead_letters WHERE id = $1', [id]);
  return rows[0] && fromRow(rows[0]);
}

/**
 * The ids each reference names: the id itself, or the ids it is a prefix of (the CLI shows short
 * ids, like git and docker). A reference that names nothing maps to an empty list.
 */
export async function resolveIds(db: Queryable, refs: readonly string[]): Promise<Map<string, string[]>> {
  const patterns = refs.map((ref) => `${ref.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const { rows } = await db.query<{ ref: string; id: string }>(
    'SELECT r.ref, d.id FROM unnest($1::text[], $2::text[]) AS r(ref, pattern) JOIN dead_letters d ON d.id LIKE r.pattern ORDER BY d.id',
    [refs, patterns],
  );
  const found = new Map(refs.map((ref) => [ref, [] as string[]]));
  for (const row of rows) found.get(row.ref)!.push(row.id);
  // An exact id wins over the longer ids it happens to prefix.
  for (const [ref, ids] of found) if (ids.includes(ref)) found.set(ref, [ref]);
  return found;
}

/** Ids of the dead letters waiting to be replayed, oldest first (so each order's records keep their order). */
export async function storedIds(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM dead_letters WHERE status = 'stored' ORDER BY seq");
  return rows.map((r) => r.id);
}

/**
 * Locks these dead letters for a replay (a concurrent replay of the same ones waits, then sees
 * them replayed). With `onlyStored`, the ones replayed meanwhile are left out.
 */
export async function lockForReplay(client: PoolClient, ids: readonly string[], options: { onlyStored: boolean }): Promise<StoredDeadLetter[]> {
  const { rows } = await client.query<Row>(
    `SELECT * FROM dead_letters WHERE id = ANY($1::text[]) AND (NOT $2 OR status = 'stored')
     ORDER BY seq FOR UPDATE`,
    [ids, options.onlyStored],
  );
  return rows.map(fromRow);
}

export async function markReplayed(client: PoolClient, ids: readonly string[]): Promise<Map<string, { replayedAt: Date; replayCount: number }>> {
  const { rows } = await client.query<{ id: string; replayed_at: Date; replay_count: number }>(
    "UPDATE dead_letters SET status = 'replayed', replayed_at = now(), replay_count = replay_count + 1 WHERE id = ANY($1::text[]) RETURNING id, replayed_at, replay_count",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, { replayedAt: r.replayed_at, replayCount: r.replay_count }]));
}

/** Dead letters stored and not replayed: the DLQ's depth. */
export async function countStored(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM dead_letters WHERE status = 'stored'");
  return rows[0]!.n;
}
