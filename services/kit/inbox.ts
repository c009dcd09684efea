/**
 * The idempotent consumer's memory: claiming event ids inside the transaction of their effect.
 * A redelivered event finds its id taken and the handler does nothing for it.
 */
import type pg from 'pg';
import type { SagaEvent } from '../events/index.js';
import { prepared } from './db.js';

/**
 * Claims the events for this consumer; returns the ids claimed now (the others were seen before).
 * In id order: two instances claiming the same redelivered events (during a rebalance) then wait
 * for each other in the same order, never in a cycle.
 */
const claim = prepared(
  `INSERT INTO inbox (consumer, event_id, event_type, order_id)
   SELECT $1, e.id, e.type, e.subject FROM unnest($2::text[], $3::text[], $4::text[]) AS e(id, type, subject) ORDER BY e.id
   ON CONFLICT DO NOTHING
   RETURNING event_id`,
);

export async function claimEvents(client: pg.ClientBase, consumer: string, events: readonly SagaEvent[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const { rows } = await client.query<{ event_id: string }>(claim([consumer, events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.subject)]));
  return new Set(rows.map((r) => r.event_id));
}
