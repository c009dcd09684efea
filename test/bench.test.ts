/**
 * The benchmark in its short mode: it boots a lab of its own, runs every part for a few seconds
 * and prints every figure. Only that it works is checked here — its figures are measured, not
 * asserted (these machines are noisy); docs/performance.md has a full run.
 */
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../cli/bench/bench.js';
import { runCli } from './support/lab.js';

describe('pizza-lab bench --quick', () => {
  it('measures every part and prints every figure', async () => {
    const json = await runCli(['bench', '--quick', '--json'], { timeoutMs: 300_000 });
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as BenchResult;
    const number = expect.any(Number);
    expect(r.machine).toMatchObject({ cpus: number, memoryGiB: number });
    expect(r.up).toMatchObject({ ms: number });
    expect(Object.keys(r.up!.memoryAtRestMiB)).toEqual(expect.arrayContaining(['postgres', 'kafka', 'order', 'payment', 'gateway']));
    expect(r.latency).toMatchObject({ offered: 50, achieved: number, postOrdersMs: { p50: number, p90: number, p99: number, max: number }, createdToTerminalMs: { p50: number, p99: number }, errors: number, dropped: number });
    expect(r.latency!.createdToTerminalMs.p50).toBeGreaterThan(0);
    expect(Object.keys(r.latency!.memoryUnderLoadMiB).length).toBeGreaterThan(5);
    // Where the CPU went: every member's share of a saga, and how busy the host was.
    expect(r.latency!.cpu.totalMsPerSaga).toBeGreaterThan(0);
    expect(Object.keys(r.latency!.cpu.msPerSaga)).toEqual(expect.arrayContaining(['postgres', 'kafka', 'fault-proxy', 'order', 'payment', 'gateway']));
    expect(r.latency!.cpu.msPerSaga.order).toBeGreaterThan(0);
    expect(r.latency!.cpu.hostBusy).toBeGreaterThan(0);
    expect(r.latency!.cpu.hostBusy).toBeLessThanOrEqual(1);
    expect(r.sustained!.steps.length).toBeGreaterThan(0);
    expect(r.sustained!.steps[0]).toMatchObject({ offered: 50, completedPerSecond: number, sagaP99Ms: number, errors: number, dropped: number, passed: expect.any(Boolean) });
    expect(r.recovery).toMatchObject({ outageMs: 4000, rate: 20, lost: 0, doubleCharged: 0 });
    expect(r.recovery!.secondsFromRestartToAllTerminal).toEqual(expect.any(Number));
    expect(r.ceilings!.postgres.transactionsPerSecond).toBeGreaterThan(0);
    expect(r.ceilings!.kafka.recordsPerSecond).toBeGreaterThan(0);
    expect(r.ceilings!.sagaToPostgresCeiling).toEqual(expect.any(Number));
  }, 360_000);

  it('prints the table a person reads, naming each target', async () => {
    const text = await runCli(['bench', '--quick', '--parts', 'up,ceilings'], { timeoutMs: 300_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^pizza-lab benchmark — \d+ CPUs, \d+ GiB, Node v20\.\d+\.\d+/);
    expect(text.stdout).toMatch(/up\s+time until every member is healthy \(jars cached\)\s+[\d.]+ s\s+< 20 s/);
    expect(text.stdout).toMatch(/ceilings\s+PostgreSQL, the saga's write mix \(16 clients\)\s+\d+ tx\/s = \d+ sagas\/s/);
    expect(text.stdout).toMatch(/Kafka produce, \d+-byte records, acks=all\s+\d+ records\/s/);
    // Every member's memory, a few per line: the table stays as wide as a terminal.
    expect(text.stdout).toMatch(/memory at rest, MiB\s+postgres \d+, kafka \d+, fault-proxy \d+, \w[\w-]* \d+,?\n/);
    expect(Math.max(...text.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(160);
  }, 360_000);
});
