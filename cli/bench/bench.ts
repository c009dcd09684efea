/**
 * The benchmark: the saga measured against DESIGN §8's targets and against the machine's own
 * ceiling in the same run. It boots a lab of its own (so `up` is timed too), then measures, part
 * by part: latency at 200 orders/s, the highest sustained rate of completed sagas, recovery after
 * a payment outage, memory at rest and under load, and the PostgreSQL and Kafka ceilings.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Scenario } from '../../scenarios/dsl.js';
import { at, kill, start } from '../../scenarios/dsl.js';
import { runScenario } from '../experiment/runner.js';
import { waitUntilSettled } from '../experiment/settle.js';
import { runLoad, type LoadResult } from '../load/index.js';
import { privateLabPorts } from '../lib/ports.js';
import { defaultStackOptions, startStack, stopStack, type Stack } from '../runtime/index.js';
import { schemaOf } from '../runtime/stack-spec.js';
import { percentile } from '../verify/checker.js';
import { adminPool } from '../verify/gather.js';
import { kafkaCeiling, postgresCeiling, type KafkaCeiling, type PostgresCeiling } from './ceilings.js';
import { cpuPerSaga, cpuReading, memberMemory, type CpuPerSaga } from './usage.js';

/** The warm-up's rate: well below what the reference machine sustains, so it leaves no backlog. */
const WARMUP_RATE = 100;

export const BENCH_PARTS = ['up', 'latency', 'sustained', 'recovery', 'ceilings'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export interface BenchOptions {
  parts: readonly BenchPart[];
  /** How long each steady step runs. */
  stepMs: number;
  /** Load before anything is measured (JIT, connection pools, page cache), at a rate well below saturation. */
  warmupMs: number;
  /** Offered rate for the latency part. */
  latencyRate: number;
  /** Offered rates tried, in order, for the sustained part. */
  rates: readonly number[];
  /** Payment outage length, and the offered rate during the recovery part. */
  outageMs: number;
  recoveryRate: number;
  ceilingMs: number;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface Percentiles {
  p50: number;
  p90?: number;
  p99: number;
  max?: number;
}

export interface SustainedStep {
  offered: number;
  /** Orders that reached PAID or CANCELLED per second, over the step. */
  completedPerSecond: number;
  sagaP99Ms: number;
  errors: number;
  dropped: number;
  passed: boolean;
}

export interface BenchResult {
  machine: { cpus: number; memoryGiB: number; node: string; platform: string };
  up?: { ms: number; memoryAtRestMiB: Record<string, number> };
  latency?: { offered: number; achieved: number; postOrdersMs: Percentiles; createdToTerminalMs: Percentiles; errors: number; dropped: number; memoryUnderLoadMiB: Record<string, number>; cpu: CpuPerSaga };
  sustained?: { highestSustainedPerSecond: number; highestOfferedPassed: number; steps: SustainedStep[] };
  recovery?: { outageMs: number; rate: number; secondsFromRestartToAllTerminal: number | null; lost: number; doubleCharged: number };
  ceilings?: { postgres: PostgresCeiling; kafka: KafkaCeiling; sagaToPostgresCeiling: number | null };
}

/** created → terminal of the orders a load created (terminal ones), in ms, sorted. */
async function sagaTimes(db: pg.Pool, orderIds: readonly string[]): Promise<number[]> {
  const { rows } = await db.query<{ ms: number }>(
    `SELECT extract(epoch FROM updated_at - created_at) * 1000 AS ms FROM ${schemaOf('order')}.orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING_PAYMENT'`,
    [[...orderIds]],
  );
  return rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
}

const accepted = (load: LoadResult) => load.ledger.filter((e) => e.outcome === 'accepted' && e.orderId).map((e) => e.orderId!);

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const say = options.onProgress ?? (() => {});
  const os = await import('node:os');
  const result: BenchResult = { machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 1024 ** 3), node: process.version, platform: `${os.platform()} ${os.arch()}` } };
  const home = await mkdtemp(join(tmpdir(), 'pizza-lab-bench-'));
  let stack: Stack | undefined;
  try {
    say('booting a lab of its own (the Kafka jars are cached)');
    const started = Date.now();
    stack = await startStack(defaultStackOptions(await privateLabPorts()), { runtime: 'native', home, signal: options.signal });
    const upMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    if (options.parts.includes('up')) result.up = { ms: upMs, memoryAtRestMiB: await memberMemory(home) };
    const db = adminPool(stack.plan, 4);
    const gateway = stack.plan.endpoints.gateway;
    try {
      if (options.warmupMs > 0 && options.parts.some((p) => p === 'latency' || p === 'sustained' || p === 'recovery')) {
        const rate = Math.min(WARMUP_RATE, options.latencyRate);
        say(`warm-up: ${rate} orders/s for ${options.warmupMs / 1000} s, not measured`);
        const from = Date.now();
        await runLoad({ gateway, endpoint: 'orders', rate, durationMs: options.warmupMs, signal: options.signal });
        await waitUntilSettled(stack.plan, db, from, { timeoutMs: 60_000 });
      }

      if (options.parts.includes('latency')) {
        say(`latency: ${options.latencyRate} orders/s for ${options.stepMs / 1000} s`);
        let memoryUnderLoadMiB: Record<string, number> = {};
        const sampleAt = setTimeout(() => void memberMemory(home).then((m) => (memoryUnderLoadMiB = m)), options.stepMs / 2);
        const cpuBefore = await cpuReading(home);
        const load = await runLoad({ gateway, endpoint: 'orders', rate: options.latencyRate, durationMs: options.stepMs, signal: options.signal });
        clearTimeout(sampleAt);
        await waitUntilSettled(stack.plan, db, Date.now() - options.stepMs - 5000, { timeoutMs: 60_000 });
        // From the first order to the last saga's end: the whole work of the step's sagas (and the lab's idle work meanwhile).
        const cpu = cpuPerSaga(cpuBefore, await cpuReading(home), accepted(load).length);
        const times = await sagaTimes(db, accepted(load));
        result.latency = {
          offered: options.latencyRate,
          achieved: load.achievedRate,
          postOrdersMs: { p50: load.latencyMs.p50, p90: load.latencyMs.p90, p99: load.latencyMs.p99, max: load.latencyMs.max },
          createdToTerminalMs: { p50: percentile(times, 50), p99: percentile(times, 99) },
          errors: load.errors,
          dropped: load.dropped,
          memoryUnderLoadMiB,
          cpu,
        };
      }

      if (options.parts.includes('sustained')) {
        const steps: SustainedStep[] = [];
        for (const rate of options.rates) {
          if (options.signal?.aborted) break;
          say(`sustained: ${rate} orders/s for ${options.stepMs / 1000} s`);
          const from = new Date();
          const load = await runLoad({ gateway, endpoint: 'orders', rate, durationMs: options.stepMs, signal: options.signal });
          const to = new Date();
          const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schemaOf('order')}.orders WHERE status <> 'PENDING_PAYMENT' AND updated_at >= $1 AND updated_at < $2`, [from, to]);
          await waitUntilSettled(stack.plan, db, from.getTime(), { timeoutMs: 60_000 });
          const times = await sagaTimes(db, accepted(load));
          const step: SustainedStep = { offered: rate, completedPerSecond: rows[0]!.n / ((to.getTime() - from.getTime()) / 1000), sagaP99Ms: percentile(times, 99), errors: load.errors, dropped: load.dropped, passed: false };
          step.passed = step.sagaP99Ms <= 1000 && step.errors === 0 && step.dropped === 0;
          steps.push(step);
          if (!step.passed) break;
        }
        const best = steps.filter((s) => s.passed).at(-1);
        result.sustained = { highestSustainedPerSecond: best?.completedPerSecond ?? 0, highestOfferedPassed: best?.offered ?? 0, steps };
      }

      if (options.parts.includes('recovery')) {
        say(`recovery: payment killed for ${options.outageMs / 1000} s at ${options.recoveryRate} orders/s`);
        const lead = Math.max(2000, options.outageMs / 4);
        const scenario: Scenario = {
          name: 'bench-recovery',
          summary: 'payment killed under load, then started again',
          learn: [],
          load: { rate: options.recoveryRate, duration: `${lead * 2 + options.outageMs}ms` },
          timeline: [at(`${lead}ms`, kill('payment')), at(`${lead + options.outageMs}ms`, start('payment'))],
          expect: [],
        };
        const journal = await runScenario({ stack, scenario, signal: options.signal });
        const f = journal.verdict?.figures;
        result.recovery = { outageMs: options.outageMs, rate: options.recoveryRate, secondsFromRestartToAllTerminal: f?.recoveryMs === undefined ? null : f.recoveryMs / 1000, lost: f?.lost.length ?? 0, doubleCharged: f?.doubleCharged.length ?? 0 };
      }

      if (options.parts.includes('ceilings')) {
        say(`ceilings: PostgreSQL with the saga's write mix, Kafka produce — ${options.ceilingMs / 1000} s each`);
        const postgres = await postgresCeiling(stack.plan, options.ceilingMs);
        const kafka = await kafkaCeiling(stack.plan, options.ceilingMs);
        const saga = result.sustained?.highestSustainedPerSecond;
        result.ceilings = { postgres, kafka, sagaToPostgresCeiling: saga ? saga / postgres.sagasPerSecond : null };
      }
    } finally {
      await db.end();
    }
    return result;
  } finally {
    say('stopping the lab');
    await stopStack({ home, volumes: true }).catch(() => {});
    await rm(home, { recursive: true, force: true });
  }
}
