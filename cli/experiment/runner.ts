/**
 * Runs one scenario, as DESIGN §6 says: check the lab is healthy, heal every fault, run the load
 * and the fault timeline together (reporting live), always roll back (heal, start everything,
 * the scenario's own rollback), wait for the saga to settle, gather the evidence, check every
 * expectation against it, and write the report folder.
 */
import { randomUUID } from 'node:crypto';
import { DECLINING_PAYMENT_METHOD, PAYMENT_METHODS } from '../../services/events/index.js';
import { retry } from '../../services/kit/retry.js';
import type { Action, Scenario, TimelineStep } from '../../scenarios/dsl.js';
import { LabError, messageOf } from '../lib/errors.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { runLoad, type LoadResult } from '../load/index.js';
import { faultTargets, partitionLinks } from '../faults/controller.js';
import type { Stack } from '../runtime/stack.js';
import { checkEvidence, type Verdict } from '../verify/checker.js';
import type { Evidence, FaultWindow, LedgerRecord } from '../verify/evidence.js';
import { adminPool, countOrdersByState, readOrders, readSagaEvents, readServiceRecords } from '../verify/gather.js';
import { actionContext, faultKey, performAction } from './actions.js';
import { createRandom } from './random.js';
import { describeSettleState, waitUntilSettled, type SettleState } from './settle.js';

/** --quick keeps every step and shortens every time to this share (never under a second). */
export const QUICK_FACTOR = 0.2;

export type RunEvent =
  | { type: 'phase'; message: string }
  | { type: 'action'; atMs: number; label: string; result: string; ok: boolean }
  | { type: 'tick'; elapsedMs: number; totalMs: number; faults: string[]; orders: Record<string, number>; load?: { ok: number; errors: number; dropped: number; p99: number; inFlight: number } }
  | { type: 'settle'; state: SettleState };

export interface RunOptions {
  stack: Stack;
  scenario: Scenario;
  quick?: boolean;
  seed?: number;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export interface Sample {
  t: number;
  PENDING_PAYMENT: number;
  PAID: number;
  CANCELLED: number;
}

export interface Journal {
  scenario: { name: string; summary: string; learn: string[]; expect: Scenario['expect'] };
  run: { startedAt: string; quick: boolean; seed: number; loadDurationMs: number; totalMs: number; interrupted: boolean };
  load?: Omit<LoadResult, 'ledger'>;
  ledger: LedgerRecord[];
  timeline: { atMs: number; label: string; result: string; ok: boolean }[];
  faults: { action: string; startMs: number; endMs?: number }[];
  healedAtMs?: number;
  settle?: { settled: boolean; ms: number; state: SettleState };
  samples: Sample[];
  verdict?: Verdict;
  extra: Record<string, number | undefined>;
}

/** Resolves a scenario time: '10s', or '5s..15s' for a time chosen at random (reproducible with --seed). */
export function resolveTime(text: string, scale: number, random: () => number): number {
  const [from, to] = text.split('..');
  const ms = to === undefined ? parseDuration(from!) : parseDuration(from!) + random() * (parseDuration(to) - parseDuration(from!));
  return Math.round(ms * scale);
}

function ledgerOf(result: LoadResult | undefined): LedgerRecord[] {
  return (result?.ledger ?? []).map((e) => ({
    key: e.key,
    scheduledAt: e.scheduledAt,
    finishedAt: e.finishedAt,
    status: typeof e.status === 'number' ? e.status : 0,
    outcome: e.outcome,
    orderId: e.orderId,
  }));
}

/**
 * The highest offered rate of a ramp whose every full second met the latency objective with
 * under 1 % of requests failed, shed (429) or dropped: the system's sustainable capacity.
 */
export function highestSustainableRate(steps: { atMs: number; rate: number }[], timeline: LoadResult['timeline'], p99BelowMs: number, durationMs: number): number {
  let best = 0;
  steps.forEach((step, i) => {
    const endMs = steps[i + 1]?.atMs ?? durationMs;
    // A second belongs to the step its middle falls in.
    const seconds = timeline.filter((s) => s.second * 1000 + 500 >= step.atMs && s.second * 1000 + 500 < endMs && s.sent > 0);
    if (seconds.length === 0) return;
    const sent = seconds.reduce((n, s) => n + s.sent, 0);
    const failed = seconds.reduce((n, s) => n + s.errors + s.dropped, 0);
    const meets = seconds.every((s) => s.p99 < p99BelowMs) && failed <= sent * 0.01;
    if (meets && step.rate > best) best = step.rate;
  });
  return best;
}

/** Checks the lab can run the scenario at all, with the command that fixes it when not. */
function checkRequirements(stack: Stack, scenario: Scenario): void {
  for (const [service, count] of Object.entries(scenario.requires?.scale ?? {})) {
    const have = stack.plan.instances.filter((i) => i.service === service).length;
    if (have < count) throw new LabError(`${scenario.name} needs ${count} ${service} instances and this lab runs ${have}`, { hint: `restart the lab with \`pizza-lab down && pizza-lab up --scale ${service}=${count}\`` });
  }
  const brokers = scenario.requires?.brokers;
  if (brokers && stack.plan.brokers.length < brokers) throw new LabError(`${scenario.name} needs ${brokers} Kafka brokers and this lab runs ${stack.plan.brokers.length}`, { hint: `restart the lab with \`pizza-lab down && pizza-lab up --brokers ${brokers}\`` });
  // What each fault acts on is resolved as \`pizza-lab fault\` resolves it, before anything starts.
  for (const { action } of scenario.timeline) {
    try {
      if (action.kind === 'member') faultTargets(stack.plan, action.target);
      if (action.kind === 'partition') partitionLinks(stack.plan, action.service, action.from);
    } catch (error) {
      const ownLab = { hint: 'run it on a lab with its own: `pizza-lab down && pizza-lab up`', cause: error };
      if (action.kind === 'member' && action.target === 'postgres') throw new LabError(`${scenario.name} stops the lab's PostgreSQL, and this lab uses an existing database (up --postgres)`, ownLab);
      if (action.kind === 'member' && action.target === 'kafka') throw new LabError(`${scenario.name} stops the lab's Kafka, and this lab uses an existing one (up --kafka)`, ownLab);
      if (action.kind === 'partition' && action.from === 'kafka' && stack.plan.brokers.length === 0) throw new LabError(`${scenario.name} cuts ${action.service}'s Kafka link, and this lab uses an existing Kafka (up --kafka), which its services reach without links`, ownLab);
      throw new LabError(`${scenario.name} cannot run on this lab: ${messageOf(error)}`, { cause: error });
    }
  }
}

/**
 * The steady state before the method, as Chaos Toolkit checks it: the gateway answers for the
 * menu and for orders, on every order instance in turn. It also warms the request path of a lab
 * that has just started, whose first requests would otherwise weigh on the run's latency. It
 * creates nothing, so the evidence stays the run's own.
 */
async function probeSteadyState(stack: Stack): Promise<void> {
  const gateway = stack.plan.endpoints.gateway;
  const orderInstances = stack.plan.instances.filter((i) => i.service === 'order').length;
  const probes = [`${gateway}/api/v1/menu`, ...Array.from({ length: 2 * orderInstances }, () => `${gateway}/api/v1/orders/${randomUUID()}`)];
  for (const url of probes) {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => {
      throw new LabError(`the lab does not answer at ${gateway}: ${messageOf(error)}`, { hint: 'see `pizza-lab status`' });
    });
    await response.arrayBuffer();
    if (response.status >= 500) throw new LabError(`the lab is not in its steady state: GET ${new URL(url).pathname} answered ${response.status}`, { hint: 'see `pizza-lab status` and `pizza-lab logs <member>`; `pizza-lab fault heal` undoes faults' });
  }
}

async function waitHealthy(stack: Stack, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let unhealthy: string[] = [];
  while (Date.now() < deadline) {
    const status = await stack.status();
    unhealthy = status.members.filter((m) => m.state !== 'running' || !m.healthy).map((m) => `${m.name} (${m.state}${m.state === 'running' ? ', unhealthy' : ''})`);
    if (unhealthy.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new LabError(`the lab is not healthy: ${unhealthy.join(', ')}`, { hint: 'see `pizza-lab status` and `pizza-lab logs <member>`; `pizza-lab fault heal` undoes faults' });
}

export async function runScenario(options: RunOptions): Promise<Journal> {
  const { stack, scenario } = options;
  const emit = options.onEvent ?? (() => {});
  const quick = options.quick ?? false;
  const scale = quick ? QUICK_FACTOR : 1;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = createRandom(seed);
  const context = actionContext(stack);
  const db = adminPool(stack.plan);

  const loadDurationMs = Math.max(3000, resolveTime(scenario.load.duration, scale, random));
  const steps = scenario.timeline.map((step: TimelineStep) => ({ atMs: resolveTime(step.at, scale, random), action: step.action })).sort((a, b) => a.atMs - b.atMs);
  const journal: Journal = {
    scenario: { name: scenario.name, summary: scenario.summary, learn: scenario.learn, expect: scenario.expect },
    run: { startedAt: '', quick, seed, loadDurationMs, totalMs: 0, interrupted: false },
    ledger: [],
    timeline: [],
    faults: [],
    samples: [],
    extra: context.extra,
  };
  const open = new Map<string, FaultWindow>();
  const windows: FaultWindow[] = [];
  let t0 = Date.now();
  let loadEndedAt: number | undefined;

  const act = async (action: Action): Promise<void> => {
    const key = faultKey(action);
    const atMs = Date.now() - t0;
    let result: string;
    let ok = true;
    try {
      result = await performAction(action, context);
    } catch (error) {
      ok = false;
      result = messageOf(error);
    }
    journal.timeline.push({ atMs, label: key.label, result, ok });
    emit({ type: 'action', atMs, label: key.label, result, ok });
    const now = Date.now();
    for (const closing of key.closes ?? []) {
      for (const [k, w] of open) {
        if (closing === '*' || k === closing) {
          w.end = now;
          open.delete(k);
        }
      }
    }
    if (key.opens && ok && !open.has(key.opens)) {
      const window: FaultWindow = { action: key.label, start: now };
      open.set(key.opens, window);
      windows.push(window);
    }
  };

  const stopped = new AbortController();
  const abort = () => stopped.abort();
  options.signal?.addEventListener('abort', abort);

  try {
    checkRequirements(stack, scenario);
    emit({ type: 'phase', message: 'healing any fault left over and checking the lab is healthy and answers' });
    await context.faults.heal();
    await waitHealthy(stack, 60_000);
    await probeSteadyState(stack);

    t0 = Date.now();
    journal.run.startedAt = new Date(t0).toISOString();
    emit({ type: 'phase', message: `running: load ${scenario.load.endpoint ?? 'orders'} at ${scenario.load.rate}/s for ${(loadDurationMs / 1000).toFixed(0)} s${steps.length ? `, ${steps.length} timeline step(s)` : ''}` });

    let lastLoad: { ok: number; errors: number; dropped: number; p99: number; inFlight: number } | undefined;
    const sampler = setInterval(() => {
      countOrdersByState(db, t0)
        .then((counts) => {
          const t = (Date.now() - t0) / 1000;
          journal.samples.push({ t, ...counts });
          emit({ type: 'tick', elapsedMs: Date.now() - t0, totalMs: loadDurationMs, faults: [...open.values()].map((w) => w.action), orders: counts, load: lastLoad });
        })
        .catch(() => {});
    }, 1000);

    const declineShare = scenario.load.declineShare ?? 0;
    // Resolved once: the load runs these steps and the objective is judged on the same ones.
    const stepsMs = scenario.load.steps?.map((s) => ({ atMs: resolveTime(s.at, scale, random), rate: s.rate }));
    const loadRun = runLoad({
      gateway: stack.plan.endpoints.gateway,
      endpoint: scenario.load.endpoint ?? 'orders',
      rate: stepsMs ?? scenario.load.rate,
      durationMs: loadDurationMs,
      maxInFlight: scenario.load.maxInFlight,
      signal: stopped.signal,
      order: () => ({
        items: [{ pizzaId: ['margherita', 'funghi', 'diavola', 'pepperoni'][Math.floor(random() * 4)]!, quantity: 1 + Math.floor(random() * 3) }],
        deliveryAddress: `${1 + Math.floor(random() * 200)} Experiment Road`,
        paymentMethod: random() < declineShare ? DECLINING_PAYMENT_METHOD : PAYMENT_METHODS[0],
      }),
      onTick: (s) => {
        lastLoad = { ok: s.ok, errors: s.errors, dropped: s.dropped, p99: s.p99, inFlight: s.inFlight };
      },
    });
    const timelineRun = (async () => {
      for (const step of steps) {
        const wait = t0 + step.atMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stopped.signal.aborted) return;
        await act(step.action);
      }
    })();
    const [loadResult] = await Promise.all([loadRun, timelineRun]);
    loadEndedAt = Date.now();
    clearInterval(sampler);
    const { ledger: _entries, ...loadSummary } = loadResult;
    journal.load = loadSummary;
    journal.ledger = ledgerOf(loadResult);
    if (scenario.objective && stepsMs) {
      context.extra.highestSustainableRate = highestSustainableRate(stepsMs, loadSummary.timeline, parseDuration(scenario.objective.p99Below), loadDurationMs);
    }
  } finally {
    // Always: heal, start everything, then the scenario's own rollback.
    emit({ type: 'phase', message: 'rolling back: healing every fault' });
    await act({ kind: 'heal' }).catch(() => {});
    journal.run.interrupted = stopped.signal.aborted;
    options.signal?.removeEventListener('abort', abort);
  }
  journal.faults = windows.map((w) => ({ action: w.action, startMs: w.start - t0, endMs: w.end === undefined ? undefined : w.end - t0 }));
  const healedAt = windows.length > 0 ? Math.max(...windows.map((w) => w.end ?? Date.now())) : loadEndedAt;
  journal.healedAtMs = healedAt === undefined ? undefined : healedAt - t0;

  if (journal.run.interrupted) {
    await db.end();
    journal.run.totalMs = Date.now() - t0;
    return journal;
  }

  const settleFor = quick ? 45_000 : 90_000;
  emit({ type: 'phase', message: 'waiting for the saga to settle (orders terminal, outboxes empty, consumers caught up)' });
  const settleStarted = Date.now();
  let settled = await waitUntilSettled(stack.plan, db, t0, { timeoutMs: settleFor, signal: options.signal, onPoll: (state) => emit({ type: 'settle', state }) });
  for (const action of scenario.rollback ?? []) {
    await act(action);
    settled = await waitUntilSettled(stack.plan, db, t0, { timeoutMs: settleFor, signal: options.signal, onPoll: (state) => emit({ type: 'settle', state }) });
  }
  journal.settle = { settled: settled.settled, ms: Date.now() - settleStarted, state: settled.state };
  if (!settled.settled) emit({ type: 'phase', message: `the saga did not settle in ${formatDuration(journal.settle.ms)}: ${describeSettleState(settled.state)}` });

  emit({ type: 'phase', message: 'gathering the evidence: the ledger, every service’s tables, every event on Kafka' });
  const keys = journal.ledger.filter((e) => e.outcome === 'unknown').map((e) => e.key);
  const orders = await readOrders(db, t0, keys);
  // Kafka may still be moving leaders after a broker fault: a failed read is tried again.
  const { events, invalidRecords } = await retry(() => readSagaEvents(stack.plan, t0), {
    attempts: 3,
    initialMs: 1000,
    maxMs: 3000,
    isRetriable: () => true,
    signal: options.signal,
    onRetry: ({ error }) => emit({ type: 'phase', message: `reading the events on Kafka failed (${messageOf(error)}); trying again` }),
  });
  const records = await readServiceRecords(
    db,
    orders.map((o) => o.id),
    t0,
    events.filter((e) => e.type === 'DeadLettered').map((e) => e.id),
  );
  const finalCounts = await countOrdersByState(db, t0);
  journal.samples.push({ t: (Date.now() - t0) / 1000, ...finalCounts });
  await db.end();

  const evidence: Evidence = {
    startedAt: t0,
    ledger: journal.ledger,
    orders,
    ...records,
    events,
    invalidRecords,
    faults: windows,
    healedAt,
    load: journal.load
      ? {
          latencyMs: journal.load.latencyMs,
          errorsByStatus: journal.load.errorsByStatus,
          achievedRate: journal.load.achievedRate,
          rateOffered: journal.load.rateOffered,
          dropped: journal.load.dropped,
          droppedPerSecond: journal.load.timeline.map((s) => s.dropped),
        }
      : undefined,
    extra: context.extra,
  };
  journal.verdict = checkEvidence(evidence, scenario.expect);
  journal.run.totalMs = Date.now() - t0;
  return journal;
}
