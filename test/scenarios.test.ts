/**
 * The scenario library on the real lab: every scenario passes with --quick, its journal holds
 * the figures its walkthrough promises, and a run interrupted in the middle leaves no fault
 * active and every member running.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal } from '../cli/experiment/runner.js';
import { SCENARIOS } from '../scenarios/index.js';
import { cliPath, eventually, lab, runCli } from './support/lab.js';

let reports: string;
beforeAll(async () => {
  reports = await mkdtemp(join(tmpdir(), 'pizza-lab-reports-'));
});
afterAll(async () => {
  await rm(reports, { recursive: true, force: true });
});

async function run(name: string): Promise<Journal> {
  const dir = join(reports, name);
  const result = await runCli(['scenario', name, '--quick', '--seed', '7', '--report', dir], { timeoutMs: 240_000 });
  const journal = JSON.parse(await readFile(join(dir, 'journal.json'), 'utf8')) as Journal;
  const failed = journal.verdict?.rows.filter((r) => !r.pass).map((r) => `${r.expectation}: ${r.measured}`);
  expect(failed, `${name} failed:\n${result.stdout}\n${result.stderr.slice(-2000)}`).toEqual([]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`PASS ${name} in `));
  // The verdict table keeps to a terminal's width: long expectations and figures wrap in their cells.
  const table = result.stdout.split('\n').filter((line) => !line.startsWith('PASS '));
  expect(Math.max(...table.map((line) => line.length)), result.stdout).toBeLessThanOrEqual(130);
  expect((await readdir(dir)).sort()).toEqual(['journal.json', 'latency.svg', 'orders-by-state.svg', 'report.md', 'throughput.svg']);
  return journal;
}

const figures = (j: Journal) => j.verdict!.figures;

/** What each walkthrough page promises the journal will show. */
const promises: Record<string, (j: Journal) => void> = {
  'happy-path': (j) => {
    expect(figures(j).paid).toBeGreaterThan(0);
    expect(figures(j).cancelled).toBeGreaterThan(0);
    expect(j.faults).toEqual([]);
  },
  'payment-outage': (j) => {
    expect(j.faults.map((f) => f.action)).toEqual(['kill payment']);
    expect(figures(j).recoveryMs).toBeGreaterThanOrEqual(0);
    expect(figures(j).availabilityDuringFault).toBe(1);
    // Orders waited while payment was down: some saga took longer than the outage.
    expect(figures(j).sagaLatencyMs.max).toBeGreaterThan(j.faults[0]!.endMs! - j.faults[0]!.startMs - 1000);
  },
  partition: (j) => {
    expect(j.faults.map((f) => f.action)).toEqual(['partition payment from kafka']);
    expect(figures(j).recoveryMs).toBeDefined();
  },
  'provider-outage': (j) => {
    expect(j.faults.map((f) => f.action)).toEqual(['provider errors 100%']);
    expect(j.timeline.map((t) => t.label)).toContain('replay dead letters');
  },
  'slow-provider': (j) => {
    expect(figures(j).doubleCharged).toEqual([]);
    expect(figures(j).paid).toBeGreaterThan(0);
  },
  'kafka-outage': (j) => {
    expect(j.faults.map((f) => f.action)).toEqual(['stop kafka']);
    expect(figures(j).availabilityDuringFault).toBeGreaterThanOrEqual(0.99);
  },
  'db-outage': (j) => {
    expect(j.faults.map((f) => f.action)).toEqual(['stop postgres']);
    expect(j.load!.errorsByStatus['503']).toBeGreaterThan(0);
  },
  'poison-message': (j) => {
    expect(figures(j).deadLetters.poison).toBeGreaterThanOrEqual(5);
  },
  'duplicate-delivery': (j) => {
    expect(j.timeline.filter((t) => t.label.startsWith('rewind')).every((t) => t.ok && /[1-9]\d* records to be delivered again/.test(t.result))).toBe(true);
    expect(figures(j).duplicateEffects).toEqual([]);
  },
  'scale-out': (j) => {
    expect(j.faults.map((f) => f.action)).toEqual(['kill order-2']);
    expect(figures(j).availabilityDuringFault).toBeGreaterThanOrEqual(0.99);
  },
  flood: (j) => {
    expect(j.extra.highestSustainableRate).toBeGreaterThan(0);
    expect(j.load!.errorsByStatus['429']).toBeGreaterThan(0);
  },
};

/** The shared lab runs one broker; broker-failover runs on a three-broker lab of its own (broker-failover.test.ts). */
const onSharedLab = SCENARIOS.filter((s) => !s.requires?.brokers);

describe('the scenario library, --quick', () => {
  it('lists every scenario as JSON with `scenario list --json` (its own --json, not the run’s), and as a table without', async () => {
    const json = await runCli(['scenario', 'list', '--json', '--debug']);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { name: string }[]).map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    const table = await runCli(['scenario', 'list']);
    expect(table.stdout).toMatch(/^SCENARIO\s+WHAT HAPPENS\n/);
  });

  it('has a promise checked for every scenario', () => {
    expect(Object.keys(promises).sort()).toEqual(onSharedLab.map((s) => s.name).sort());
    expect(SCENARIOS.filter((s) => !onSharedLab.includes(s)).map((s) => s.name)).toEqual(['broker-failover']);
  });

  for (const scenario of onSharedLab) {
    it(`${scenario.name} passes and its journal shows what its page promises`, async () => {
      const journal = await run(scenario.name);
      expect(journal.scenario.name).toBe(scenario.name);
      expect(journal.run.quick).toBe(true);
      promises[scenario.name]!(journal);
    }, 300_000);
  }
});

describe('an interrupted scenario', () => {
  it('heals every fault and leaves every member running', async () => {
    const { home } = lab();
    const child = spawn(process.execPath, [cliPath, 'scenario', 'payment-outage', '--report', join(reports, 'interrupted')], { env: { ...process.env, NO_COLOR: '1', PIZZA_LAB_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await eventually('payment to be killed', () => /kill payment/.test(stderr), 60_000);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toMatch(/error: interrupted — every fault was healed/);

    const faults = JSON.parse((await runCli(['fault', 'list', '--json'])).stdout) as { faults: unknown[] };
    expect(faults.faults).toEqual([]);
    const status = JSON.parse((await runCli(['status', '--json'])).stdout) as { members: { name: string; state: string }[] };
    expect(status.members.filter((m) => m.state !== 'running')).toEqual([]);
  }, 120_000);
});
