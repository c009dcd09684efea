/**
 * `pizza-lab load` against the shared lab: small, bounded loads on loopback. The rate it reaches,
 * its latency, and that its ledger's accepted orders are orders the shop really knows.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry, LoadResult } from '../cli/load/index.js';
import { lab, runCli } from './support/lab.js';

type LoadJson = Omit<LoadResult, 'ledger'> & { ledger: { path: string; entries: number; accepted: number; rejected: number; unknown: number } | null };

describe('pizza-lab load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pizza-lab-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('offers 100 menu requests a second for 5 s and reaches that rate, with latency figures (--json)', async () => {
    const run = await runCli(['load', '--rate', '100', '--duration', '5s', '--endpoint', 'menu', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as LoadJson;
    expect(result).toMatchObject({ endpoint: 'menu', rateOffered: 100, durationMs: 5000, scheduled: 500, interrupted: false, ledger: null });
    expect(result.ok, JSON.stringify(result.errorsByStatus)).toBe(result.sent);
    expect(Math.abs(result.achievedRate - 100)).toBeLessThanOrEqual(5);
    expect(result.latencyMs.p99).toBeGreaterThan(0);
    expect(result.latencyMs.min).toBeLessThanOrEqual(result.latencyMs.p50);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p99);
    expect(result.latencyMs.p99).toBeLessThanOrEqual(result.latencyMs.max);
    expect(result.timeline.map((s) => s.second)).toEqual([0, 1, 2, 3, 4]);
    for (const second of result.timeline) expect(second.scheduled).toBe(100);
    // Not a terminal: a progress line every 5 s on stderr.
    expect(run.stderr).toMatch(/5s\/5s .*ok 500/);
  });

  it('writes a ledger of order requests whose accepted orders the shop knows', async () => {
    const run = await runCli(['load', '--endpoint', 'orders', '--rate', '20', '--duration', '3s', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as LoadJson;
    expect(result).toMatchObject({ endpoint: 'orders', scheduled: 60, sent: 60, dropped: 0 });
    // On a busy machine an order may fail; the ledger must then say so, and never claim it.
    expect(result.ok, JSON.stringify(result.errorsByStatus)).toBeGreaterThan(0);
    // By default the ledger goes into the lab's folder.
    expect(result.ledger?.path.startsWith(join(lab().home, 'ledgers', 'load-'))).toBe(true);
    expect(result.ledger).toMatchObject({ entries: 60, accepted: result.ok });

    const entries = (await readFile(result.ledger!.path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as LedgerEntry);
    expect(entries).toHaveLength(60);
    expect(new Set(entries.map((e) => e.key)).size).toBe(60);
    for (const entry of entries) {
      if (entry.outcome === 'accepted') expect(entry).toMatchObject({ status: 201, orderId: expect.any(String) });
      else expect(entry.orderId).toBeUndefined();
      expect(entry.sentAt).toBeGreaterThanOrEqual(entry.scheduledAt);
      expect(entry.finishedAt).toBeGreaterThan(entry.sentAt);
    }
    const gateway = lab().plan.endpoints.gateway;
    const accepted = entries.filter((e) => e.outcome === 'accepted');
    expect(accepted).toHaveLength(result.ok);
    for (const entry of accepted) {
      const response = await fetch(`${gateway}/api/v1/orders/${entry.orderId}`);
      expect(response.status, entry.orderId).toBe(200);
      expect(((await response.json()) as { orderId: string }).orderId).toBe(entry.orderId);
    }
    // The ledger's key is the one that was sent: reusing it for another order is refused, naming the first.
    const first = accepted[0]!;
    const reuse = await fetch(`${gateway}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': first.key },
      body: JSON.stringify({ items: [{ pizzaId: 'margherita', quantity: 1 }], deliveryAddress: 'another street', paymentMethod: 'card' }),
    });
    expect(reuse.status).toBe(422);
    expect(((await reuse.json()) as { details?: { orderId?: string } }).details?.orderId).toBe(first.orderId);
  });

  it('prints a k6-like summary and writes the ledger where --ledger says', async () => {
    const path = join(dir, 'nested', 'orders.jsonl');
    const run = await runCli(['load', '--rate', '10', '--duration', '1s', '--ledger', path]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
    const labels = lines.map((line) => /^ {2}(\w+) \.+: /.exec(line)?.[1]);
    expect(labels).toEqual(['load', 'requests', 'achieved', 'latency', 'errors', 'dropped', 'ledger']);
    // The values line up in one column.
    expect(new Set(lines.map((line) => line.indexOf(': '))).size).toBe(1);
    expect(run.stdout).toContain('10 scheduled   10 sent   10 ok   0 errors   0 dropped');
    expect(run.stdout).toMatch(/latency \.+: min=\S+ {2}avg=\S+ {2}p50=\S+ {2}p90=\S+ {2}p95=\S+ {2}p99=\S+ {2}max=\S+/);
    expect(run.stdout).toContain(`${path} (10 accepted, 0 rejected, 0 unknown)`);
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(10);
  });

  it('stops on Ctrl-C and still prints the summary', async () => {
    const run = await runCli(['load', '--rate', '20', '--duration', '1m', '--endpoint', 'menu', '--json'], {
      onStderr: (_text, child) => {
        // Not a terminal, so the first progress line comes at 5 s; stop then.
        if (!child.killed) child.kill('SIGINT');
      },
    });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as LoadJson;
    expect(result.interrupted).toBe(true);
    expect(result.durationMs).toBeGreaterThanOrEqual(5000);
    expect(result.durationMs).toBeLessThan(15_000);
    expect(result.ok).toBeGreaterThan(0);
    expect(result.scheduled).toBe(result.sent + result.dropped);
  });

  it('refuses bad flags with a usage error (exit 2)', async () => {
    const cases = [['--rate', '0'], ['--rate', 'fast'], ['--duration', 'soon'], ['--duration', '0s'], ['--endpoint', 'pizzas'], ['--max-in-flight', '0']];
    const runs = await Promise.all(cases.map((args) => runCli(['load', ...args])));
    runs.forEach((run, i) => {
      expect(run.code, cases[i]!.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^error: option '.*' argument '.*' is invalid/);
      expect(run.stdout).toBe('');
    });
  });
});
