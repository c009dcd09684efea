/**
 * What the dashboard shows, computed from what it sampled: each second it scrapes every service
 * instance's /metrics and asks the stack for its members and active faults; this model turns a
 * run of such samples into figures — rates from counter increases between consecutive samples,
 * percentiles from histogram bucket increases over the latency window, gauges as they are now.
 * No I/O here, so every figure is unit-tested from text fixtures.
 */
import { BREAKER_STATES, type BreakerState } from '../../services/kit/breaker.js';
import type { ActiveFault } from '../faults/controller.js';
import type { MemberStatus } from '../runtime/stack.js';
import type { GroupLag } from './consumer-lag.js';
import { SERVICES } from '../runtime/stack-spec.js';
import { percentiles, type Bucket } from './metrics-quantile.js';
import { increases, perSecond, total, type Reading } from './metrics-rate.js';
import type { MetricSample } from './metrics-text.js';

/** The metric names the dashboard reads; the scraper keeps only these. */
export const DASHBOARD_METRICS = [
  'http_request_duration_seconds_bucket',
  'saga_orders_created_total',
  'saga_orders_completed_total',
  'saga_duration_seconds_bucket',
  'saga_consumer_lag',
  'saga_outbox_backlog',
  'circuit_breaker_state',
  'dlq_depth',
] as const;

/** The route whose latency the dashboard shows: placing an order. */
export const ORDER_ROUTE = { method: 'POST', route: '/api/v1/orders' } as const;

/** One instance's /metrics at one moment. */
export interface InstanceScrape {
  member: string;
  service: string;
  /** False when it did not answer in time (refused, reset, timed out). */
  answered: boolean;
  /** What it exposed (empty when it answered without metrics). */
  samples: MetricSample[];
  error?: string;
}

/** Everything sampled at one moment. A part that could not be read carries its error instead. */
export interface DashboardSample {
  at: number;
  runtime?: string;
  scrapes: InstanceScrape[];
  members?: MemberStatus[];
  membersError?: string;
  faults?: ActiveFault[];
  faultsError?: string;
  /** Lag of groups that no answering instance reports, read from Kafka directly. */
  kafkaLag?: GroupLag[];
}

export interface Percentiles {
  /** Seconds; undefined when nothing was observed in the window. */
  p50?: number;
  p95?: number;
  p99?: number;
  /** Observations in the window. */
  count: number;
}

export type { BreakerState };

export interface MemberView {
  name: string;
  kind: string;
  up: boolean;
  /** Why it is not up, or a remark (paused, unhealthy, /metrics does not answer). */
  note?: string;
}

export interface DashboardData {
  at: number;
  runtime?: string;
  rates: {
    /** Orders per second over the last sampling interval; undefined until two samples exist. */
    created?: number;
    completed?: number;
    /** The last rates, oldest first (for the sparklines). */
    createdSeries: number[];
    completedSeries: number[];
  };
  /** Orders by state from the order instances' counters (since each instance started). */
  states?: { pending: number; paid: number; cancelled: number };
  latency: { post: Percentiles; saga: Percentiles; windowMs: number };
  /** Messages not yet consumed, per consumer group (all its topics); `fromKafka` when no answering instance reports it, so it was read from Kafka. */
  lag: { group: string; lag: number; fromKafka?: boolean }[];
  /** Events written to the outbox and not yet published, per service. */
  outbox: { service: string; backlog: number }[];
  dlqDepth?: number;
  /** Per breaker, its worst state across instances and the instances in that state. */
  breakers: { name: string; state: BreakerState; members: string[]; of: number }[];
  members: MemberView[];
  membersError?: string;
  faults?: ActiveFault[];
  faultsError?: string;
}

export interface DashboardModelOptions {
  /** How far back the latency percentiles look. */
  windowMs?: number;
  /** How many rates the sparklines keep. */
  seriesLength?: number;
}

const EMPTY_PERCENTILES: Percentiles = { count: 0 };

const byName = (name: string) => (s: MetricSample) => s.name === name;
const isOrderRoute = (s: MetricSample) => s.name === 'http_request_duration_seconds_bucket' && s.labels.method === ORDER_ROUTE.method && s.labels.route === ORDER_ROUTE.route;
const le = (s: MetricSample) => s.labels.le ?? '';

function readingsOf(sample: DashboardSample): Reading[] {
  return sample.scrapes.filter((s) => s.answered).map((s) => ({ member: s.member, samples: s.samples }));
}

function bucketsOf(sums: Map<string, number>): Bucket[] {
  return [...sums].map(([bound, count]) => ({ le: bound === '+Inf' ? Infinity : Number(bound), count })).filter((b) => !Number.isNaN(b.le));
}

/** Histogram percentiles over the increase between two samples. */
function windowPercentiles(before: DashboardSample, after: DashboardSample, match: (s: MetricSample) => boolean): Percentiles {
  return percentiles(bucketsOf(increases(readingsOf(before), readingsOf(after), match, le)));
}

/**
 * Every instance of a group reports the whole group's lag: the highest reading counts, not the
 * sum. A group no answering instance reports comes from Kafka, marked as such.
 */
function lagByGroup(scrapes: readonly InstanceScrape[], fromKafka: readonly GroupLag[] = []): DashboardData['lag'] {
  const perTopic = new Map<string, Map<string, number>>();
  for (const scrape of scrapes) {
    for (const s of scrape.samples) {
      if (s.name !== 'saga_consumer_lag' || !s.labels.group) continue;
      const topics = perTopic.get(s.labels.group) ?? new Map<string, number>();
      topics.set(s.labels.topic ?? '', Math.max(topics.get(s.labels.topic ?? '') ?? 0, s.value));
      perTopic.set(s.labels.group, topics);
    }
  }
  const reported = [...perTopic].map(([group, topics]) => ({ group, lag: [...topics.values()].reduce((a, b) => a + b, 0) }));
  const unreported = new Map<string, number>();
  for (const l of fromKafka) if (!perTopic.has(l.group)) unreported.set(l.group, (unreported.get(l.group) ?? 0) + l.lag);
  return [...reported, ...[...unreported].map(([group, lag]) => ({ group, lag, fromKafka: true }))].sort((a, b) => a.group.localeCompare(b.group));
}

/** Every instance of a service counts the same outbox table: the highest reading per service. */
function outboxByService(scrapes: readonly InstanceScrape[]): { service: string; backlog: number }[] {
  const withOutbox = new Set(SERVICES.filter((s) => s.uses.includes('kafka')).map((s) => s.name));
  const backlog = new Map<string, number>();
  for (const scrape of scrapes) {
    if (!scrape.answered || !withOutbox.has(scrape.service)) continue;
    for (const s of scrape.samples) if (s.name === 'saga_outbox_backlog') backlog.set(scrape.service, Math.max(backlog.get(scrape.service) ?? 0, s.value));
  }
  return [...backlog].map(([service, n]) => ({ service, backlog: n })).sort((a, b) => a.service.localeCompare(b.service));
}

function dlqDepthOf(scrapes: readonly InstanceScrape[]): number | undefined {
  let depth: number | undefined;
  for (const scrape of scrapes) {
    const own = scrape.samples.filter(byName('dlq_depth'));
    if (own.length > 0) depth = Math.max(depth ?? 0, own.reduce((sum, s) => sum + s.value, 0));
  }
  return depth;
}

function breakersOf(scrapes: readonly InstanceScrape[]): DashboardData['breakers'] {
  const states = new Map<string, { member: string; state: BreakerState }[]>();
  for (const scrape of scrapes) {
    for (const s of scrape.samples) {
      if (s.name !== 'circuit_breaker_state' || !s.labels.breaker) continue;
      const list = states.get(s.labels.breaker) ?? [];
      list.push({ member: scrape.member, state: BREAKER_STATES[Math.min(2, Math.max(0, Math.round(s.value)))]! });
      states.set(s.labels.breaker, list);
    }
  }
  return [...states].map(([name, list]) => {
    const worst = BREAKER_STATES[Math.max(...list.map((l) => BREAKER_STATES.indexOf(l.state)))]!;
    return { name, state: worst, members: list.filter((l) => l.state === worst).map((l) => l.member), of: list.length };
  });
}

function membersOf(sample: DashboardSample): MemberView[] {
  const scrapes = new Map(sample.scrapes.map((s) => [s.member, s]));
  if (!sample.members) {
    // The runtime did not answer: what the scrapes tell is all we know.
    return sample.scrapes.map((s) => ({ name: s.member, kind: 'service', up: s.answered, note: s.answered ? undefined : '/metrics does not answer' }));
  }
  return sample.members.map((m) => {
    const scrape = scrapes.get(m.name);
    const running = m.state === 'running';
    if (running && scrape && !scrape.answered) return { name: m.name, kind: m.kind, up: false, note: '/metrics does not answer' };
    if (running && !m.healthy) return { name: m.name, kind: m.kind, up: false, note: 'unhealthy' };
    return { name: m.name, kind: m.kind, up: running, note: running ? undefined : `${m.state}${m.message ? ` (${m.message})` : ''}` };
  });
}

/** The dashboard's figures, fed one sample per refresh. */
export function createDashboardModel(options: DashboardModelOptions = {}) {
  const windowMs = options.windowMs ?? 10_000;
  const seriesLength = options.seriesLength ?? 60;
  const history: DashboardSample[] = [];
  const createdSeries: number[] = [];
  const completedSeries: number[] = [];
  // The last answer of each order instance, so orders by state do not dip while one is unreachable.
  const lastOrderReading = new Map<string, Reading>();

  const push = (series: number[], value: number) => {
    series.push(value);
    if (series.length > seriesLength) series.shift();
  };

  return {
    /** Adds a sample and answers the figures as of that sample. */
    add(sample: DashboardSample): DashboardData {
      const previous = history.at(-1);
      history.push(sample);
      // Keep what the latency window needs (and a little more, for uneven intervals).
      while (history.length > 2 && history[1]!.at <= sample.at - windowMs) history.shift();

      const now = readingsOf(sample);
      let created: number | undefined;
      let completed: number | undefined;
      if (previous) {
        const before = readingsOf(previous);
        const elapsed = sample.at - previous.at;
        created = perSecond(increases(before, now, byName('saga_orders_created_total')).get('') ?? 0, elapsed);
        completed = perSecond(increases(before, now, byName('saga_orders_completed_total')).get('') ?? 0, elapsed);
        push(createdSeries, created);
        push(completedSeries, completed);
      }

      for (const scrape of sample.scrapes) if (scrape.answered && scrape.service === 'order') lastOrderReading.set(scrape.member, { member: scrape.member, samples: scrape.samples });
      const orderReadings = [...lastOrderReading.values()];
      let states: DashboardData['states'];
      if (orderReadings.length > 0) {
        const createdTotal = total(orderReadings, byName('saga_orders_created_total'));
        const paid = total(orderReadings, (s) => s.name === 'saga_orders_completed_total' && s.labels.status === 'PAID');
        const cancelled = total(orderReadings, (s) => s.name === 'saga_orders_completed_total' && s.labels.status === 'CANCELLED');
        // Counters restart with their process, so after a restart the difference can go below zero.
        states = { pending: Math.max(0, createdTotal - paid - cancelled), paid, cancelled };
      }

      const base = history[0]!;
      const hasWindow = base !== sample;
      return {
        at: sample.at,
        runtime: sample.runtime,
        rates: { created, completed, createdSeries: [...createdSeries], completedSeries: [...completedSeries] },
        states,
        latency: {
          post: hasWindow ? windowPercentiles(base, sample, isOrderRoute) : EMPTY_PERCENTILES,
          saga: hasWindow ? windowPercentiles(base, sample, byName('saga_duration_seconds_bucket')) : EMPTY_PERCENTILES,
          windowMs: hasWindow ? sample.at - base.at : 0,
        },
        lag: lagByGroup(sample.scrapes, sample.kafkaLag),
        outbox: outboxByService(sample.scrapes),
        dlqDepth: dlqDepthOf(sample.scrapes),
        breakers: breakersOf(sample.scrapes),
        members: membersOf(sample),
        membersError: sample.membersError,
        faults: sample.faults,
        faultsError: sample.faultsError,
      };
    },
  };
}

export type DashboardModel = ReturnType<typeof createDashboardModel>;
