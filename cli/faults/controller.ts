/**
 * Every fault the lab can inject, in one place that `pizza-lab fault …` and the scenario runner
 * share: process faults through the runtime (signals natively, the Engine API under compose),
 * network faults through the fault proxy (a link disabled, or toxics on it), the provider's
 * failure modes through its control endpoint — and `heal`, which undoes them all.
 */
import { LabError, UsageError } from '../lib/errors.js';
import type { MemberAction, MemberStatus, Stack } from '../runtime/stack.js';
import { linksOf, plannedMembers, SERVICES, type ProxyPlan, type StackPlan } from '../runtime/stack-spec.js';
import { createFaultClient } from './client.js';
import type { ProxyJson, Stream, ToxicConfig, ToxicType } from './types.js';

/** Members that faults may not touch: without the fault proxy no fault could be healed. */
const PROTECTED_MEMBERS = new Set(['fault-proxy']);

export const PARTITION_SCOPES = ['kafka', 'postgres', 'provider', 'all'] as const;
export type PartitionScope = (typeof PARTITION_SCOPES)[number];

export const PROVIDER_MODES = ['ok', 'decline', 'errors', 'slow', 'down'] as const;
export type ProviderMode = (typeof PROVIDER_MODES)[number];

export interface ProviderBehaviour {
  mode: ProviderMode;
  rate?: number;
  latencyMs?: number;
}

export interface ActiveFault {
  kind: 'member' | 'link' | 'toxic' | 'provider';
  target: string;
  detail: string;
}

export interface FaultController {
  member(target: string, action: MemberAction, options?: { signal?: string }): Promise<MemberStatus[]>;
  /** Cuts a service off (some of) its dependencies; returns the links disabled. */
  partition(service: string, scope?: PartitionScope): Promise<string[]>;
  setLink(link: string, enabled: boolean): Promise<string[]>;
  addToxic(link: string, toxic: ToxicConfig): Promise<string[]>;
  /** Removes a toxic by name from every proxy of the link that has it. */
  removeToxic(link: string, name: string): Promise<void>;
  provider(behaviour: ProviderBehaviour): Promise<ProviderBehaviour>;
  list(): Promise<ActiveFault[]>;
  /** Undoes every fault: links enabled, toxics removed, every member running, the provider healthy. */
  heal(): Promise<string[]>;
}

/**
 * The members a process fault on `target` acts on: a member, a service (all its instances), or
 * `kafka` (every broker). Refuses, in words a user can act on, what the lab does not run.
 */
export function faultTargets(plan: StackPlan, target: string): string[] {
  const names = plannedMembers(plan).map((m) => m.name).filter((n) => !PROTECTED_MEMBERS.has(n));
  const hint = { hint: `targets: ${names.join(', ')}` };
  if (names.includes(target)) return [target];
  const instances = plan.instances.filter((i) => i.service === target).map((i) => i.member);
  if (instances.length > 0) return instances;
  if (target === 'kafka') {
    if (plan.brokers.length === 0) throw new UsageError('this lab uses an existing Kafka (up --kafka): it has no broker of its own to fault', hint);
    return plan.brokers.map((b) => b.member);
  }
  if (target === 'postgres' && plan.postgres.external) throw new UsageError('this lab uses an existing PostgreSQL (up --postgres): it has no server of its own to fault', hint);
  if (PROTECTED_MEMBERS.has(target)) throw new UsageError(`${target} cannot be faulted: it is what heals faults`, hint);
  throw new UsageError(`no service or member named "${target}"`, hint);
}

/** The links that cutting `service` off (some of) its dependencies disables. */
export function partitionLinks(plan: StackPlan, service: string, scope: PartitionScope = 'all'): string[] {
  if (!PARTITION_SCOPES.includes(scope)) throw new UsageError(`--from ${scope}: use ${PARTITION_SCOPES.join(', ')}`);
  if (!SERVICES.some((s) => s.name === service)) throw new UsageError(`no service named "${service}"`, { hint: `services: ${SERVICES.map((s) => s.name).join(', ')}` });
  const links = linksOf(plan);
  const chosen = links.filter((link) => {
    const proxies = plan.proxies.filter((p) => p.link === link);
    const from = proxies[0]!.from;
    const toService = proxies.some((p) => plan.instances.find((i) => i.member === p.to)?.service === service);
    if (scope === 'kafka') return from === service && link.endsWith('-kafka');
    if (scope === 'postgres') return from === service && link.endsWith('-postgres');
    if (scope === 'provider') return from === service && link === 'payment-provider';
    return from === service || toService;
  });
  if (chosen.length === 0) throw new UsageError(`${service} has no ${scope === 'all' ? '' : `${scope} `}link to cut`, { hint: `its links: ${links.filter((l) => l.startsWith(`${service}-`)).join(', ') || 'none'}` });
  return chosen;
}

export function createFaultController(stack: Stack): FaultController {
  const plan = stack.plan;
  const client = createFaultClient(plan.endpoints.faultApi);
  const links = linksOf(plan);
  const providerInstance = plan.instances.find((i) => i.service === 'payment-provider');
  const providerUrl = providerInstance ? `http://${plan.host}:${providerInstance.port}` : undefined;

  const proxiesOf = (link: string): ProxyPlan[] => {
    const proxies = plan.proxies.filter((p) => p.link === link);
    if (proxies.length === 0) throw new UsageError(`no link named "${link}"`, { hint: `links: ${links.join(', ')}` });
    return proxies;
  };

  async function setLink(link: string, enabled: boolean): Promise<string[]> {
    const proxies = proxiesOf(link);
    await Promise.all(proxies.map((p) => client.setEnabled(p.name, enabled)));
    return proxies.map((p) => p.name);
  }

  async function providerCall(method: 'GET' | 'PUT', body?: ProviderBehaviour): Promise<ProviderBehaviour> {
    if (!providerUrl) throw new LabError('this lab has no payment-provider');
    let response: Response;
    try {
      response = await fetch(`${providerUrl}/control`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(5000) });
    } catch (error) {
      throw new LabError('the payment-provider does not answer', { cause: error, hint: 'is it running? `pizza-lab status`; `pizza-lab fault start payment-provider`' });
    }
    const json = (await response.json()) as ProviderBehaviour & { message?: string };
    if (!response.ok) throw new LabError(`the payment-provider refused: ${json.message ?? response.status}`);
    return { mode: json.mode, rate: json.rate, latencyMs: json.latencyMs };
  }

  return {

    async member(target, action, options = {}) {
      const members = faultTargets(plan, target);
      return Promise.all(members.map((m) => stack.control(m, action, options)));
    },

    async partition(service, scope = 'all') {
      const chosen = partitionLinks(plan, service, scope);
      for (const link of chosen) await setLink(link, false);
      return chosen;
    },

    setLink,

    async addToxic(link, toxic) {
      const proxies = proxiesOf(link);
      await Promise.all(proxies.map((p) => client.addToxic(p.name, toxic)));
      return proxies.map((p) => p.name);
    },

    async removeToxic(link, name) {
      const names = new Set(proxiesOf(link).map((p) => p.name));
      const proxies = (await client.listProxies()).filter((p) => names.has(p.name) && p.toxics.some((t) => t.name === name));
      await Promise.all(proxies.map((p) => client.removeToxic(p.name, name)));
    },

    provider: (behaviour) => providerCall('PUT', behaviour),

    async list() {
      const faults: ActiveFault[] = [];
      for (const m of (await stack.status()).members) {
        if (m.state !== 'running' || (!m.healthy && m.kind !== 'service')) faults.push({ kind: 'member', target: m.name, detail: m.state === 'running' ? 'running but unhealthy' : `${m.state}${m.message ? ` (${m.message})` : ''}` });
      }
      const proxies: ProxyJson[] = await client.listProxies();
      for (const p of proxies) {
        if (!p.enabled) faults.push({ kind: 'link', target: p.name, detail: 'disabled (cut)' });
        for (const t of p.toxics) faults.push({ kind: 'toxic', target: p.name, detail: describeToxic(t.type, t.stream, t.attributes as Record<string, number>, t.toxicity) });
      }
      if (providerUrl) {
        const behaviour = await providerCall('GET').catch(() => undefined);
        if (behaviour && behaviour.mode !== 'ok') faults.push({ kind: 'provider', target: 'payment-provider', detail: describeProvider(behaviour) });
      }
      return faults;
    },

    async heal() {
      const done: string[] = [];
      await client.reset();
      done.push('every link enabled, every toxic removed');
      for (const m of (await stack.status()).members) {
        if (m.state === 'paused') {
          await stack.control(m.name, 'resume');
          done.push(`${m.name} resumed`);
        } else if (m.state !== 'running' && m.state !== 'starting') {
          await stack.control(m.name, 'start');
          done.push(`${m.name} started`);
        }
      }
      if (providerUrl) {
        const behaviour = await providerCall('GET').catch(() => undefined);
        if (behaviour && behaviour.mode !== 'ok') {
          await providerCall('PUT', { mode: 'ok' });
          done.push('payment-provider back to ok');
        }
      }
      return done;
    },
  };
}

export function describeToxic(type: ToxicType | string, stream: Stream, attributes: Record<string, number>, toxicity = 1): string {
  const share = toxicity < 1 ? ` on ${Math.round(toxicity * 100)}% of connections` : '';
  const dir = stream === 'upstream' ? '→' : '←';
  switch (type) {
    case 'latency':
      return `latency ${attributes.latency} ms${attributes.jitter ? ` ±${attributes.jitter}` : ''} ${dir}${share}`;
    case 'bandwidth':
      return `bandwidth ${attributes.rate} KB/s ${dir}${share}`;
    case 'timeout':
      return `timeout${attributes.timeout ? ` after ${attributes.timeout} ms` : ' (data stops)'} ${dir}${share}`;
    case 'reset_peer':
      return `reset after ${attributes.timeout ?? 0} ms ${dir}${share}`;
    case 'slow_close':
      return `slow close ${attributes.delay} ms ${dir}${share}`;
    case 'limit_data':
      return `close after ${attributes.bytes} bytes ${dir}${share}`;
    default:
      return `${type} ${dir}${share}`;
  }
}

export function describeProvider(b: ProviderBehaviour): string {
  if (b.mode === 'slow') return `slow: answers after ${b.latencyMs ?? '?'} ms (charges first)`;
  if (b.mode === 'decline' || b.mode === 'errors') return `${b.mode} on ${Math.round((b.rate ?? 1) * 100)}% of charges`;
  return b.mode;
}
