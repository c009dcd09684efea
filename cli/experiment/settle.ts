/**
 * "Settled" means the saga has nothing left in flight: every accepted order is terminal, every
 * outbox is empty, and every service's consumer group has read everything on its topics.
 */
import type pg from 'pg';
import { ALL_TOPICS } from '../../services/events/index.js';
import { toolsKafka } from '../runtime/kafka-admin.js';
import type { StackPlan } from '../runtime/stack-spec.js';
import { countOrdersByState, outboxBacklog } from '../verify/gather.js';

const SERVICE_GROUPS = ['order-service', 'payment-service', 'notification-service', 'dlq-service'];

/** Unread records per consumer group, over the saga topics it has offsets on. */
async function consumerLag(plan: StackPlan): Promise<Record<string, number>> {
  const admin = toolsKafka(plan.endpoints.kafka).admin();
  await admin.connect();
  try {
    const highs = new Map<string, Map<number, number>>();
    for (const topic of ALL_TOPICS) highs.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])));
    const lag: Record<string, number> = {};
    for (const group of SERVICE_GROUPS) {
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [...ALL_TOPICS] });
      lag[group] = 0;
      for (const topic of offsets) {
        // A group only has offsets on the topics it reads; -1 on all partitions means "not subscribed".
        if (topic.partitions.every((p) => Number(p.offset) < 0)) continue;
        for (const p of topic.partitions) {
          const high = highs.get(topic.topic)?.get(p.partition) ?? 0;
          lag[group] += Math.max(0, high - Math.max(0, Number(p.offset)));
        }
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

export interface SettleState {
  pending: number;
  backlog: number;
  lag: number;
}

/** What is still in flight for the orders created since `since`. */
async function settleState(plan: StackPlan, db: pg.Pool, since: number): Promise<SettleState> {
  const [byState, backlog, lag] = await Promise.all([countOrdersByState(db, since), outboxBacklog(db), consumerLag(plan)]);
  return { pending: byState.PENDING_PAYMENT, backlog: Object.values(backlog).reduce((a, b) => a + b, 0), lag: Object.values(lag).reduce((a, b) => a + b, 0) };
}

/** Polls until settled twice in a row (every order since `since` terminal), or the time is up; resolves with the last state. */
export async function waitUntilSettled(plan: StackPlan, db: pg.Pool, since: number, options: { timeoutMs: number; signal?: AbortSignal; onPoll?: (state: SettleState) => void }): Promise<{ settled: boolean; state: SettleState }> {
  const deadline = Date.now() + options.timeoutMs;
  let quietPolls = 0;
  let state: SettleState = { pending: -1, backlog: -1, lag: -1 };
  while (Date.now() < deadline && !options.signal?.aborted) {
    try {
      state = await settleState(plan, db, since);
      options.onPoll?.(state);
      quietPolls = state.pending === 0 && state.backlog === 0 && state.lag === 0 ? quietPolls + 1 : 0;
      if (quietPolls >= 2) return { settled: true, state };
    } catch {
      quietPolls = 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { settled: false, state };
}
