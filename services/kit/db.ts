/**
 * PostgreSQL for a service: a pool that fails fast when the database is unreachable (so the API
 * can answer 503 at once instead of hanging), transactions, and per-service SQL migrations.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { ServiceConfig } from './config.js';
import type { Logger } from './logger.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(config: Pick<ServiceConfig, 'databaseUrl' | 'instance'>, options: { max?: number } = {}): pg.Pool {
  const max = options.max ?? 16;
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    application_name: config.instance,
    max,
    // Opening a connection costs a SCRAM handshake (thousands of hash rounds): keep them open.
    min: Math.ceil(max / 2),
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 300_000,
    // A paused or partitioned database must not hang a request forever.
    query_timeout: 10_000,
  });
  // A pooled connection that dies while idle is reported here; the pool replaces it on demand.
  pool.on('error', () => {});
  return pool;
}

const commitCallbacks = new WeakMap<pg.ClientBase, Array<() => void>>();

/**
 * A statement PostgreSQL parses and plans once per connection instead of on every call — for the
 * queries on the saga's hot path, where that is most of a statement's cost. Only for statements
 * whose best plan does not change as tables grow (inserts, lookups of one key); see `planned`.
 *   const insertX = prepared('INSERT …'); await client.query(insertX([a, b]));
 */
export function prepared(text: string): (values: unknown[]) => pg.QueryConfig {
  let name = statementNames.get(text);
  if (!name) {
    name = `q_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  const statement = name;
  return (values) => ({ name: statement, text, values });
}
const statementNames = new Map<string, string>();

/**
 * A statement planned with its values on every call, for a lookup of a set of keys (`= ANY($1)`,
 * a join with `unnest`) in a table that grows or churns. Prepared, PostgreSQL would settle on a
 * generic plan after five calls, made for the table as it was then: in a fresh lab, nearly empty,
 * so a whole-table scan, kept while the table grows until an ANALYZE replans it — and for good on
 * an outbox, which is nearly empty whenever it is analysed. (Measured: the payment service's
 * lookup of earlier payments scanned every payment, 1.5 ms a batch at 10,000 orders.)
 */
export function planned(text: string): (values: unknown[]) => pg.QueryConfig {
  return (values) => ({ text, values });
}

/** Opens `count` connections now, so that the first burst of work does not pay for opening them. */
export async function warmPool(pool: pg.Pool, count: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  for (const client of clients) client.release();
}

/** Runs `fn` once the transaction `client` is in has committed (not at all if it rolls back). */
export function afterCommit(client: pg.ClientBase, fn: () => void): void {
  const callbacks = commitCallbacks.get(client);
  if (callbacks) callbacks.push(fn);
  else commitCallbacks.set(client, [fn]);
}

/** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    for (const callback of commitCallbacks.get(client) ?? []) callback();
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    commitCallbacks.delete(client);
    client.release(broken);
  }
}

/**
 * Applies `migrations/*.sql` in name order, each once, in its own transaction. An advisory lock
 * lets several instances of a service start together without racing.
 */
export interface MigrationSource {
  dir: string;
  /** Only these files (the shared kit tables a service chooses). */
  only?: readonly string[];
  /** Prefix of the recorded version, so that two folders cannot collide. */
  namespace?: string;
}

export async function migrate(pool: pg.Pool, source: MigrationSource, logger: Logger): Promise<string[]> {
  const { dir, only, namespace } = source;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql') && (only === undefined || only.includes(f))).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query("SELECT pg_advisory_lock(hashtext(current_schema() || ':migrations'))");
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const file of files) {
      const version = namespace ? `${namespace}/${file}` : file;
      if (done.has(version)) continue;
      const sql = await readFile(join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(version);
      logger.info({ migration: version }, 'migration applied');
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext(current_schema() || ':migrations'))").catch(() => {});
    client.release();
  }
  return applied;
}

/** A health check: the database answers a trivial query. */
export function databaseCheck(pool: pg.Pool) {
  return async () => {
    await pool.query('SELECT 1');
    return true as const;
  };
}
