/**
 * The idempotent consumer's memory: claiming an event id inside the transaction of its effect.
 * A redelivered event finds its id taken and the handler does nothing.
 */
import type pg from 'pg';
import type { SagaEvent } from '../events/index.js';

/** True the first time this consumer sees the event; false for a redelivery. */
export async function claimEvent(client: pg.ClientBase, consumer: string, event: SagaEvent): Promise<boolean> {
  const { rowCount } = await client.query(
    'INSERT INTO inbox (consumer, event_id, event_type, order_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [consumer, event.id, event.type, event.subject],
  );
  return rowCount === 1;
}
