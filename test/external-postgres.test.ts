/**
 * `up --postgres URL`: a lab on a PostgreSQL that was there before it. The lab creates its
 * database, roles and schemas there, runs the saga on it through its fault links, refuses the
 * scenario that would stop a server it does not own, and leaves that server running, with its
 * data, after `down --volumes`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removePostgresData } from '../cli/runtime/native/postgres.js';
import { runCli } from './support/lab.js';
import { freePortBlock, labPorts } from './support/ports.js';
import { startOwnPostgres, type OwnPostgres } from './support/postgres.js';

describe('pizza-lab up --postgres URL (an existing database)', () => {
  let folder: string;
  let home: string;
  let portArgs: string[];
  let existing: OwnPostgres;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'pizza-lab-external-pg-'));
    home = join(folder, '.pizza-lab');
    existing = await startOwnPostgres(join(folder, 'existing'), await freePortBlock(1));
    const { ports, portBase } = await labPorts();
    portArgs = ['--gateway-port', String(ports.gateway), '--kafka-port', String(ports.kafka), '--fault-port', String(ports.faultApi), '--port-base', String(portBase)];
  }, 120_000);

  afterAll(async () => {
    await runCli(['down', '--volumes'], { home, timeoutMs: 120_000 });
    await existing?.stop();
    await removePostgresData(join(folder, 'existing'));
    await rm(folder, { recursive: true, force: true });
  });

  it('refuses a URL that is not postgres: in one line (exit 2), and starts nothing', async () => {
    const result = await runCli(['up', '--postgres', 'http://127.0.0.1:5432/shop', ...portArgs], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--postgres: "http:" is not postgres:/);
    expect((await runCli(['status'], { home })).code).toBe(1);
  });

  it('runs the saga on that database, without a PostgreSQL of its own', async () => {
    const up = await runCli(['up', '--postgres', existing.url('shop'), ...portArgs], { home, timeoutMs: 150_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).not.toMatch(/^postgres\s/m);
    expect(up.stdout).toMatch(/^kafka\s+kafka\s+running/m);
    // Its password is the user's own, so it is not printed.
    expect(up.stdout).toContain(`${existing.url('shop').replace(':postgres@', ':***@')}  (existing, --postgres)`);

    const placed = await runCli(['order', '--follow', '--json'], { home, timeoutMs: 60_000 });
    expect(placed.code, placed.stderr).toBe(0);
    const { orderId, status } = JSON.parse(placed.stdout.trim().split('\n').pop()!) as { orderId: string; status: string };
    expect(status).toBe('PAID');

    const db = new pg.Client({ connectionString: existing.url('shop') });
    await db.connect();
    try {
      expect((await db.query('SELECT status FROM order_svc.orders WHERE id = $1', [orderId])).rows).toEqual([{ status: 'PAID' }]);
      const schemas = (await db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE '%_svc' ORDER BY 1")).rows.map((r) => r.nspname);
      expect(schemas).toEqual(['dlq_svc', 'frontend_svc', 'notification_svc', 'order_svc', 'payment_provider_svc', 'payment_svc']);
    } finally {
      await db.end();
    }
  });

  it('refuses db-outage, which would stop a PostgreSQL the lab does not own', async () => {
    const result = await runCli(['scenario', 'db-outage', '--quick'], { home, timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("db-outage stops the lab's PostgreSQL, and this lab uses an existing database (up --postgres)");
  });

  it('down --volumes leaves that database running, with the lab\'s schemas and orders in it', async () => {
    const down = await runCli(['down', '--volumes'], { home, timeoutMs: 120_000 });
    expect(down.code, down.stderr).toBe(0);
    expect(`${down.stdout}${down.stderr}`).toContain("keeps the lab's schemas: frontend_svc, payment_provider_svc, order_svc, payment_svc, notification_svc, dlq_svc");
    const db = new pg.Client({ connectionString: existing.url('shop') });
    await db.connect();
    try {
      expect((await db.query("SELECT count(*)::int AS n FROM order_svc.orders WHERE status = 'PAID'")).rows).toEqual([{ n: 1 }]);
    } finally {
      await db.end();
    }
  });
});
