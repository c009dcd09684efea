/**
 * The scenario library on the real lab: every scenario passes with --quick, its journal holds
 * the figures its walkthrough promises, and a run interrupted in the middle leaves no fault
 * active and every member running.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../scenarios/index.js';
import { cliPath, eventually, lab, runCli } from './support/lab.js';
import { promises, runScenario } from './support/scenarios.js';

let reports: string;
beforeAll(async () => {
  reports = await mkdtemp(join(tmpdir(), 'pizza-lab-reports-'));
});
afterAll(async () => {
  await rm(reports, { recursive: true, force: true });
});

const run = (name: string) => runScenario(name, join(reports, name));

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
