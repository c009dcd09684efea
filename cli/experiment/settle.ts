/**
 * "Settled" means the saga has nothing left in flight: every accepted order is terminal, every
 * outbox is empty, and every service's consumer group has read everything on its topics.
 */
import type pg from 'pg';
import { ALL_CONSUMER_GROUPS } from '../../services/kit/groups.js';
import { toolsKafka } from '../runtime/common/index.js';
import type { StackPlan } from '../runtime/stack-spec.js';
import { countOrdersByState, outboxBacklog } from '../verify/gather.js';
import { readGroupLag } from '../watch/consumer-lag.js';


/** Unread records per consumer group, over the topics it has committed offsets on. */
async function consumerLag(plan: StackPlan): Promise<Record<string, number>> {
  const admin = toolsKafka(plan.endpoints.kafka).admin();
  await admin.connect();
  try {
    const lag: Record<string, number> = {};
    for (const group of ALL_CONSUMER_GROUPS) lag[group] = (await readGroupLag(admin, group)).reduce((n, topic) => n + topic.lag, 0);
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

/** The state in words: "3 pending, outbox 2, consumer lag 0". */
export function describeSettleState(state: SettleState): string {
  return `${state.pending} pending, outbox ${state.backlog}, consumer lag ${state.lag}`;
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
