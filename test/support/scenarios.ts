/**
 * Running a scenario through the CLI and checking its verdict, as the scenario tests do on the
 * native lab and the compose tests on a compose lab: every scenario passes with --quick, and its
 * journal holds the figures its walkthrough promises.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Journal } from '../../cli/experiment/runner.js';
import { runCli } from './lab.js';

/** Runs `scenario NAME --quick --seed 7`, its report in `dir`; asserts it passed and returns its journal. */
export async function runScenario(name: string, dir: string, options: { home?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Journal> {
  const result = await runCli(['scenario', name, '--quick', '--seed', '7', '--report', dir], { ...options, timeoutMs: 240_000 });
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
export const promises: Record<string, (j: Journal) => void> = {
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
