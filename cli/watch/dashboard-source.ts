/**
 * Where the dashboard's samples come from: every service instance's /metrics, scraped directly
 * on its own port (not through the gateway or a fault link, so a fault never hides the figures
 * it causes), the runtime's member status, and the active faults. Each part is read with a
 * deadline; a part that fails is reported as such in the sample, never thrown.
 */
import type { Admin } from 'kafkajs';
import { createFaultController } from '../faults/controller.js';
import { messageOf } from '../lib/errors.js';
import { toolsKafka } from '../runtime/common/index.js';
import type { Stack } from '../runtime/stack.js';
import { readGroupLag, type GroupLag } from './consumer-lag.js';
import { DASHBOARD_METRICS, ORDER_ROUTE, type DashboardSample, type InstanceScrape } from './metrics-dashboard.js';
import { parseMetricsText } from './metrics-text.js';

export interface DashboardSource {
  sample(): Promise<DashboardSample>;
  /** Lets go of the Kafka connection (if one was opened). */
  close(): Promise<void>;
}

export interface DashboardSourceOptions {
  /** How long one instance may take to answer /metrics. */
  scrapeTimeoutMs?: number;
  /** How long the member status and the fault list may take. */
  statusTimeoutMs?: number;
}

const wanted = new Set<string>(DASHBOARD_METRICS);

/** The dashboard needs one route of the HTTP histogram; the rest is dropped at once. */
const keepSample = (name: string, labels: Record<string, string>) =>
  name !== 'http_request_duration_seconds_bucket' || (labels.method === ORDER_ROUTE.method && labels.route === ORDER_ROUTE.route);

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Scrapes one instance; any HTTP answer counts as answering (a service without /metrics is not down). */
export async function scrapeInstance(url: string, timeoutMs: number): Promise<Pick<InstanceScrape, 'answered' | 'samples' | 'error'>> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (!response.ok) return { answered: true, samples: [], error: `HTTP ${response.status}` };
    const samples = parseMetricsText(text, (name) => wanted.has(name)).filter((s) => keepSample(s.name, s.labels));
    return { answered: true, samples };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { answered: false, samples: [], error: (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? messageOf(error)) };
  }
}

export function createDashboardSource(stack: Stack, options: DashboardSourceOptions = {}): DashboardSource {
  const scrapeTimeoutMs = options.scrapeTimeoutMs ?? 800;
  const statusTimeoutMs = options.statusTimeoutMs ?? 2000;
  const faults = createFaultController(stack);
  const { plan } = stack;

  // Consumer groups and their topics, as the services report them (and, at the start, as Kafka
  // lists them: a group whose instances are all down already reports nothing).
  const groups = new Map<string, Set<string>>();
  let admin: Admin | undefined;
  let listed = false;
  let reading: Promise<GroupLag[]> | undefined;
  let lastRead: GroupLag[] | undefined;

  async function readUnreported(reported: ReadonlySet<string>): Promise<GroupLag[]> {
    if (!admin) {
      const client = toolsKafka(plan.endpoints.kafka, 'pizza-lab-dashboard').admin();
      await client.connect();
      admin = client;
    }
    if (!listed) {
      // Our own watchers (pizza-lab-*) commit nothing and are no saga consumers.
      for (const g of (await admin.listGroups()).groups) if (g.protocolType === 'consumer' && !g.groupId.startsWith('pizza-lab-') && !groups.has(g.groupId)) groups.set(g.groupId, new Set());
      listed = true;
    }
    const silent = [...groups].filter(([group]) => !reported.has(group));
    return (await Promise.all(silent.map(([group, topics]) => readGroupLag(admin!, group, [...topics])))).flat();
  }

  /** One read at a time: when Kafka is slow, a sample does not start another one. */
  function unreportedLag(scrapes: readonly InstanceScrape[]): Promise<GroupLag[]> {
    const reported = new Set<string>();
    for (const s of scrapes) {
      for (const m of s.samples) {
        if (m.name !== 'saga_consumer_lag' || !m.labels.group) continue;
        reported.add(m.labels.group);
        const topics = groups.get(m.labels.group) ?? new Set<string>();
        if (m.labels.topic) topics.add(m.labels.topic);
        groups.set(m.labels.group, topics);
      }
    }
    if (listed && [...groups.keys()].every((g) => reported.has(g))) return Promise.resolve((lastRead = []));
    reading ??= readUnreported(reported)
      .then((lag) => (lastRead = lag))
      .finally(() => (reading = undefined));
    // A slow Kafka must not slow the view down: then the last figures stand.
    return withDeadline(reading, scrapeTimeoutMs, 'Kafka').catch(() => lastRead ?? []);
  }

  return {
    async close() {
      await admin?.disconnect().catch(() => {});
    },

    async sample() {
      const at = Date.now();
      const [scrapes, status, active] = await Promise.all([
        Promise.all(
          plan.instances.map(async (i): Promise<InstanceScrape> => ({ member: i.member, service: i.service, ...(await scrapeInstance(`http://${plan.host}:${i.port}/metrics`, scrapeTimeoutMs)) })),
        ),
        withDeadline(stack.status(), statusTimeoutMs, 'the runtime').then(
          (s) => ({ ok: true as const, value: s }),
          (error: unknown) => ({ ok: false as const, error: messageOf(error) }),
        ),
        withDeadline(faults.list(), statusTimeoutMs, 'the fault API').then(
          (f) => ({ ok: true as const, value: f }),
          (error: unknown) => ({ ok: false as const, error: messageOf(error) }),
        ),
      ]);
      const kafkaLag = await unreportedLag(scrapes);
      return {
        at,
        kafkaLag,
        runtime: status.ok ? status.value.runtime : stack.runtime,
        scrapes,
        members: status.ok ? status.value.members : undefined,
        membersError: status.ok ? undefined : status.error,
        faults: active.ok ? active.value : undefined,
        faultsError: active.ok ? undefined : active.error,
      };
    },
  };
}
