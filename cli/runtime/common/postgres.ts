/**
 * The lab's PostgreSQL as data, whichever runtime runs it: the server's settings, and the one
 * schema and role per service that every `up` applies (again), so that a role's password or
 * grant is what the plan says whatever the data volume held before.
 */
import pg from 'pg';
import { LabError } from '../../lib/errors.js';
import type { StackPlan } from '../stack-spec.js';

/** Server settings (`-c name=value`) both runtimes start PostgreSQL with. */
export const POSTGRES_SETTINGS: readonly string[] = [
  'max_connections=300',
  'shared_buffers=256MB',
  'max_wal_size=2GB',
  'log_line_prefix=%m [%p] %q%u@%d ',
  'log_min_messages=warning',
  // Which statements cost what, per service: SELECT * FROM pg_stat_statements (as postgres).
  'shared_preload_libraries=pg_stat_statements',
];

/**
 * The SQL that gives every service its own role and schema, and nothing of the others'. In an
 * existing database (`--postgres`) the lab adds its roles and schemas and changes nothing else:
 * who else may use that database and its public schema stays as its owner set it.
 */
export function bootstrapSql(plan: StackPlan): string[] {
  const db = plan.postgres.database;
  const statements = plan.postgres.external ? [] : [`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`, 'REVOKE ALL ON SCHEMA public FROM PUBLIC', 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements'];
  for (const role of plan.postgres.roles) {
    const password = role.password.replace(/'/g, "''");
    statements.push(
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role.role}') THEN CREATE ROLE ${role.role} LOGIN PASSWORD '${password}'; END IF; END $$`,
      `ALTER ROLE ${role.role} WITH LOGIN PASSWORD '${password}'`,
      `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${role.role}`,
      `CREATE SCHEMA IF NOT EXISTS ${role.schema} AUTHORIZATION ${role.role}`,
      `ALTER ROLE ${role.role} IN DATABASE ${db} SET search_path TO ${role.schema}`,
    );
  }
  return statements;
}

/** Creates the lab's database if it is missing, and in it a role and schema per service (idempotent). */
export async function bootstrapDatabase(plan: StackPlan): Promise<void> {
  const { host, port, adminUser, adminPassword, database, external } = plan.postgres;
  const connection = { host, port, user: adminUser, password: adminPassword, connectionTimeoutMillis: 10_000 };
  const where = `PostgreSQL at ${host}:${port} (user ${adminUser})`;
  const fail = (what: string, error: unknown) =>
    new LabError(`${what} ${where}: ${(error as Error).message}`, {
      hint: external ? 'check the --postgres URL: that server must answer, and its user must be allowed to create roles, schemas (and the database, if it does not exist)' : 'see `pizza-lab logs postgres`',
      cause: error,
    });
  const connect = async (name: string) => {
    const client = new pg.Client({ ...connection, database: name });
    await client.connect();
    return client;
  };
  let client: pg.Client;
  try {
    client = await connect(database);
  } catch (error) {
    // 3D000: the database does not exist yet; create it from the maintenance database.
    if ((error as { code?: string }).code !== '3D000') throw fail('cannot reach', error);
    try {
      const admin = await connect('postgres');
      try {
        await admin.query(`CREATE DATABASE ${database}`);
      } finally {
        await admin.end();
      }
      client = await connect(database);
    } catch (inner) {
      throw fail(`cannot create the database ${database} on`, inner);
    }
  }
  try {
    for (const statement of bootstrapSql(plan)) await client.query(statement);
  } catch (error) {
    throw fail('cannot create the services\' roles and schemas on', error);
  } finally {
    await client.end();
  }
}
