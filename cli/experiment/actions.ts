/**
 * What each scenario action does to the lab, and which fault it opens or closes — so the runner
 * can shade fault windows and know when everything was healed.
 */
import { randomUUID } from 'node:crypto';
import type { Action } from '../../scenarios/dsl.js';
import { createFaultController, type FaultController } from '../faults/controller.js';
import { LabError } from '../lib/errors.js';
import { toolsKafka } from '../runtime/common/index.js';
import type { Stack } from '../runtime/stack.js';

/** A fault's identity: the thing it breaks. Undoing it closes the window with the same key. */
export function faultKey(action: Action): { opens?: string; closes?: string[]; label: string } {
  switch (action.kind) {
    case 'member':
      if (action.action === 'kill' || action.action === 'stop') return { opens: `member:${action.target}`, label: `${action.action} ${action.target}` };
      if (action.action === 'pause') return { opens: `member:${action.target}`, label: `pause ${action.target}` };
      if (action.action === 'start' || action.action === 'resume') return { closes: [`member:${action.target}`], label: `${action.action} ${action.target}` };
      return { label: `${action.action} ${action.target}` };
    case 'partition':
      return { opens: `partition:${action.service}`, label: `partition ${action.service}${action.from === 'all' ? '' : ` from ${action.from}`}` };
    case 'link':
      return action.enabled ? { closes: [`link:${action.link}`], label: `reconnect ${action.link}` } : { opens: `link:${action.link}`, label: `cut ${action.link}` };
    case 'toxic':
      return { opens: `toxic:${action.link}:${action.toxic}`, label: `${action.toxic} on ${action.link}` };
    case 'provider':
      return action.mode === 'ok' ? { closes: ['provider'], label: 'provider ok' } : { opens: 'provider', label: `provider ${action.mode}${action.rate !== undefined ? ` ${Math.round(action.rate * 100)}%` : ''}` };
    case 'heal':
      return { closes: ['*'], label: 'heal' };
    case 'poison':
      return { label: `poison ×${action.count} on ${action.topic}` };
    case 'rewind':
      return { label: `rewind ${action.group} by ${action.by} on ${action.topic}` };
    case 'kill-partition-leader':
      return { opens: 'leader', label: `kill the leader of the busiest ${action.topic} partition` };
    case 'replay-dead-letters':
      return { label: 'replay dead letters' };
  }
}

export interface ActionContext {
  stack: Stack;
  faults: FaultController;
  /** Records figures some actions measure (e.g. leaderless milliseconds). */
  extra: Record<string, number | undefined>;
}

export function actionContext(stack: Stack): ActionContext {
  return { stack, faults: createFaultController(stack), extra: {} };
}

/** Performs one action; resolves with what it did, in words. */
export async function performAction(action: Action, context: ActionContext): Promise<string> {
  const { stack, faults } = context;
  switch (action.kind) {
    case 'member': {
      const results = await faults.member(action.target, action.action, { signal: action.signal });
      return results.map((m) => `${m.name} ${m.state}`).join(', ');
    }
    case 'partition':
      return `disabled ${(await faults.partition(action.service, action.from)).join(', ')}`;
    case 'link':
      await faults.setLink(action.link, action.enabled);
      return `${action.link} ${action.enabled ? 'enabled' : 'disabled'}`;
    case 'toxic':
      await faults.addToxic(action.link, { type: action.toxic, stream: action.stream ?? 'downstream', name: `scenario_${action.toxic}`, attributes: action.attributes } as never);
      return `${action.toxic} on ${action.link}`;
    case 'provider': {
      const now = await faults.provider({ mode: action.mode, rate: action.rate, latencyMs: action.latencyMs });
      return `provider ${now.mode}`;
    }
    case 'heal':
      return (await faults.heal()).join('; ');
    case 'poison':
      return producePoison(stack, action.topic, action.count);
    case 'rewind':
      return rewindGroup(context, action.group, action.topic, action.by);
    case 'replay-dead-letters':
      return replayDeadLetters(stack);
    case 'kill-partition-leader':
      return killPartitionLeader(context, action.topic);
  }
}

async function producePoison(stack: Stack, topic: string, count: number): Promise<string> {
  const producer = toolsKafka(stack.plan.endpoints.kafka).producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ key: randomUUID(), value: i % 2 === 0 ? '{"this is": not JSON' : JSON.stringify({ hello: 'no CloudEvents headers here' }) })),
    });
  } finally {
    await producer.disconnect();
  }
  return `${count} malformed record(s) on ${topic}`;
}

/** The service that owns a consumer group (`payment-service` → payment). */
const serviceOfGroup = (group: string) => group.replace(/-service$/, '');

/**
 * Rewinds a consumer group: its instances stop (Kafka only lets an idle group's offsets move),
 * the committed offsets go back `by` records per partition, the instances start again and
 * receive those records a second time.
 */
async function rewindGroup(context: ActionContext, group: string, topic: string, by: number): Promise<string> {
  const service = serviceOfGroup(group);
  await context.faults.member(service, 'stop');
  const admin = toolsKafka(context.stack.plan.endpoints.kafka).admin();
  await admin.connect();
  let moved = 0;
  try {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const partitions = (committed?.partitions ?? []).map((p) => {
      const offset = Number(p.offset);
      const target = Math.max(0, offset - by);
      if (offset > 0) moved += offset - target;
      return { partition: p.partition, offset: String(offset < 0 ? 0 : target) };
    });
    await admin.setOffsets({ groupId: group, topic, partitions });
  } finally {
    await admin.disconnect();
    await context.faults.member(service, 'start');
  }
  return `${group} rewound on ${topic}: ${moved} records to be delivered again`;
}

async function replayDeadLetters(stack: Stack): Promise<string> {
  const dlq = stack.plan.instances.find((i) => i.service === 'dlq');
  if (!dlq) throw new LabError('this lab has no dlq service');
  const response = await fetch(`http://${stack.plan.host}:${dlq.port}/dead-letters/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ all: true }), signal: AbortSignal.timeout(30_000) });
  const body = (await response.json()) as { replayed?: unknown[]; count?: number; message?: string };
  if (!response.ok) throw new LabError(`replaying dead letters failed: ${body.message ?? response.status}`);
  const n = body.count ?? body.replayed?.length ?? 0;
  return `${n} dead letter(s) replayed`;
}

/**
 * Kills the broker leading the busiest partition of a topic, then watches the cluster until
 * another broker leads it: how long the partition had no leader goes to the journal.
 */
async function killPartitionLeader(context: ActionContext, topic: string): Promise<string> {
  const plan = context.stack.plan;
  if (plan.brokers.length < 3) throw new LabError('killing a partition leader needs the three-broker lab', { hint: 'start it with `pizza-lab up --brokers 3`' });
  // No retries: a poll that meets the dead broker fails at once and the next one asks another.
  const admin = toolsKafka(plan.endpoints.kafka, 'pizza-lab-failover', { retries: 0, requestTimeout: 1000 }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const busiest = offsets.reduce((a, b) => (Number(b.high) - Number(b.low) > Number(a.high) - Number(a.low) ? b : a)).partition;
    const leaderOf = async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.find((p) => p.partitionId === busiest)!.leader;
    const leader = await leaderOf();
    const broker = plan.brokers.find((b) => b.id === leader);
    if (!broker) throw new LabError(`partition ${topic}/${busiest} has no leader to kill`);
    const killedAt = Date.now();
    await context.faults.member(broker.member, 'kill');
    context.extra.killedBroker = broker.id;
    context.extra.failoverPartition = busiest;
    const deadline = killedAt + 60_000;
    for (;;) {
      const now = await leaderOf().catch(() => -1);
      if (now >= 0 && now !== leader) {
        context.extra.leaderlessMs = Date.now() - killedAt;
        context.extra.newLeader = now;
        return `killed ${broker.member}, leader of ${topic}/${busiest}; broker ${now} led it after ${context.extra.leaderlessMs} ms`;
      }
      if (Date.now() > deadline) throw new LabError(`${topic}/${busiest} still had no new leader 60 s after ${broker.member} was killed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
