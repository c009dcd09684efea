/**
 * The end of the saga and the end of the line, as a user meets them on the running stack:
 * the notification service turning order and payment events produced straight to Kafka into one
 * email per step (rows, HTTP, NotificationSent events), whatever is redelivered; and a poison
 * record travelling to the DLQ, into `pizza-lab dlq list`, and back to its topic with
 * `pizza-lab dlq replay`.
 *
 * Other services consume the same topics in this lab. The events here are for orders that no
 * service has stored, paid with the test card the provider declines (so the payment service
 * answers with PaymentFailed, which notifies nobody), and nothing is asserted about the others.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, decodeEvent, encodeEvent, headersOf, traceIdOf, type DeadLettered, type NotificationSent, type SagaEvent } from '../services/events/index.js';
import { orderCreated } from './support/events.js';
import { eventually, lab, runCli, serviceUrl } from './support/lab.js';

const { plan } = lab();
const notificationUrl = serviceUrl('notification');
const dlqUrl = serviceUrl('dlq');

/** A record read back from Kafka, decoded when it is a valid event. */
interface SeenRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  event?: SagaEvent;
}

interface Notification {
  notificationId: string;
  orderId: string;
  kind: string;
  channel: string;
  recipient: string;
  subject: string;
  body: string;
  causeEventId: string;
  causeEventType: string;
  traceId: string | null;
  sentAt: string;
}

interface DeadLetterJson {
  id: string;
  origin: DeadLettered['origin'];
  consumer: string;
  error: { kind: string; message: string };
  attempts: number;
  status: 'stored' | 'replayed';
  replayedAt: string | null;
  replayCount: number;
}

const kafka = new Kafka({ clientId: `notification-dlq-test-${randomUUID().slice(0, 8)}`, brokers: plan.endpoints.kafka, logLevel: logLevel.NOTHING });
let producer: Producer;
let consumer: Consumer;
let db: pg.Client;
const seen: SeenRecord[] = [];

beforeAll(async () => {
  producer = kafka.producer();
  await producer.connect();
  consumer = kafka.consumer({ groupId: `notification-dlq-test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: ['order-events', 'notification-events', 'dlq-events'], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const decoded = decodeEvent(message);
      seen.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers: headersOf(message), event: decoded.ok ? decoded.event : undefined });
    },
  });
  db = new pg.Client({ connectionString: plan.endpoints.postgres });
  await db.connect();
});

afterAll(async () => {
  await Promise.allSettled([consumer?.disconnect(), producer?.disconnect(), db?.end()]);
});

// --- events and records -------------------------------------------------------------------------

const created = (orderId: string) => orderCreated({ orderId, paymentMethod: 'card-declined', deliveryAddress: '7 Test Lane' });
const paid = (orderId: string, cause?: string) =>
  createEvent({ type: 'OrderPaid', source: 'payment', cause, data: { orderId, paymentId: randomUUID(), amountCents: 1700, currency: 'EUR', chargeId: `ch_test_${orderId.slice(0, 8)}`, attempts: 1 } });
const cancelled = (orderId: string, cause?: string) => createEvent({ type: 'OrderCancelled', source: 'order', cause, data: { orderId, reason: 'payment failed: declined (test)', cancelledAt: new Date().toISOString() } });

/** Produces records straight to a topic; resolves with where the (first) one landed. */
async function produceRaw(topic: string, messages: { key: string | null; value: string | null; headers?: Record<string, string> }[]) {
  const [metadata] = await producer.send({ topic, acks: -1, messages });
  return { partition: metadata!.partition, offset: metadata!.baseOffset! };
}

function produce(...events: SagaEvent[]) {
  const records = events.map(encodeEvent);
  return produceRaw(records[0]!.topic, records.map(({ key, value, headers }) => ({ key, value, headers })));
}

const sentFor = (orderId: string) => seen.filter((r) => r.event?.type === 'NotificationSent' && (r.event.data as NotificationSent).orderId === orderId) as (SeenRecord & { event: SagaEvent<'NotificationSent'> })[];
const deadLettersOf = (key: string, consumerGroup: string) =>
  seen.filter((r) => r.event?.type === 'DeadLettered' && (r.event.data as DeadLettered).origin.key === key && (r.event.data as DeadLettered).consumer === consumerGroup) as (SeenRecord & { event: SagaEvent<'DeadLettered'> })[];

async function notificationsOf(orderId: string): Promise<Notification[]> {
  const response = await fetch(`${notificationUrl}/notifications?orderId=${orderId}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { notifications: Notification[]; count: number };
  expect(body.count).toBe(body.notifications.length);
  return body.notifications;
}

async function rowsOf(orderId: string) {
  const { rows } = await db.query<{ kind: string; cause_event_id: string }>('SELECT kind, cause_event_id FROM notification_svc.notifications WHERE order_id = $1 ORDER BY kind', [orderId]);
  return rows;
}

async function setLink(name: string, enabled: boolean) {
  const response = await fetch(`${plan.endpoints.faultApi}/proxies/${name}`, { method: 'POST', body: JSON.stringify({ enabled }), headers: { 'content-type': 'application/json' } });
  expect(response.status).toBe(200);
}

async function dlqList(...args: string[]): Promise<DeadLetterJson[]> {
  const result = await runCli(['dlq', 'list', '--json', '--limit', '1000', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as DeadLetterJson[];
}

/** Whether a consumer group has committed an offset past `offset` on a partition (it has read that record). */
async function committedPast(groupId: string, topic: string, partition: number, offset: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets!.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    return BigInt(committed) > BigInt(offset);
  } finally {
    await admin.disconnect();
  }
}

/** Produces a poison record and a valid OrderCreated after it (same key, so same partition); waits for the notification service to dead-letter the first. */
async function poison(orderId: string) {
  const value = `this is not JSON {${orderId}`;
  const at = await produceRaw('order-events', [{ key: orderId, value }]);
  const next = created(orderId);
  await produce(next);
  const deadLetter = await eventually('the DeadLettered event of the notification service', () => deadLettersOf(orderId, 'notification-service')[0]);
  return { value, at, next, deadLetter };
}

// --- the notification service ---------------------------------------------------------------------

describe('the notification service', () => {
  it('records one notification per step, an order received then paid, each with one NotificationSent', async () => {
    const orderId = randomUUID();
    const order = created(orderId);
    const payment = paid(orderId, order.traceparent);
    await produce(order);
    await produce(payment);

    const sent = await eventually('two NotificationSent events', () => sentFor(orderId).length >= 2 && sentFor(orderId));
    const notifications = await notificationsOf(orderId);
    expect(notifications.map((n) => n.kind).sort()).toEqual(['order-paid', 'order-received']);
    const received = notifications.find((n) => n.kind === 'order-received')!;
    expect(received).toMatchObject({
      orderId,
      channel: 'email',
      recipient: `customer+${orderId}@pizza-lab.example`,
      subject: `We received your order #${orderId.slice(0, 8)}`,
      causeEventId: order.id,
      causeEventType: 'OrderCreated',
      traceId: traceIdOf(order.traceparent),
    });
    expect(received.body).toMatch(/2 × Margherita\s+17\.00 EUR/);
    expect(received.body).toContain('Delivery address: 7 Test Lane');
    const confirmed = notifications.find((n) => n.kind === 'order-paid')!;
    expect(confirmed).toMatchObject({ subject: `Payment confirmed for order #${orderId.slice(0, 8)}`, causeEventId: payment.id, causeEventType: 'OrderPaid' });
    expect(confirmed.body).toContain(`We received your payment of 17.00 EUR for order #${orderId.slice(0, 8)} (charge ch_test_${orderId.slice(0, 8)})`);

    for (const notification of notifications) {
      const event = sent.find((r) => r.event.data.kind === notification.kind)!;
      expect(event.key).toBe(orderId);
      expect(event.headers).toMatchObject({ ce_type: 'NotificationSent', ce_source: '/services/notification', ce_subject: orderId });
      expect(event.event.data).toEqual({ orderId, notificationId: notification.notificationId, kind: notification.kind, channel: 'email', causeEventId: notification.causeEventId, sentAt: notification.sentAt });
      // One trace per order: the notification continues the trace of the event that caused it.
      expect(traceIdOf(event.headers.traceparent)).toBe(traceIdOf(order.traceparent));
    }
    expect(await rowsOf(orderId)).toEqual([
      { kind: 'order-paid', cause_event_id: payment.id },
      { kind: 'order-received', cause_event_id: order.id },
    ]);
  });

  it('tells about a cancellation, with its reason', async () => {
    const orderId = randomUUID();
    const cancellation = cancelled(orderId);
    await produce(cancellation);

    const [event] = await eventually('NotificationSent for the cancellation', () => sentFor(orderId).length > 0 && sentFor(orderId));
    expect(event!.event.data).toMatchObject({ kind: 'order-cancelled', causeEventId: cancellation.id });
    const [notification] = await notificationsOf(orderId);
    expect(notification).toMatchObject({ kind: 'order-cancelled', subject: `Your order #${orderId.slice(0, 8)} was cancelled`, causeEventId: cancellation.id });
    expect(notification!.body).toContain('Reason: payment failed: declined (test)');
  });

  it('changes nothing for a redelivered event (same ce_id) or a second event for a step already told', async () => {
    const orderId = randomUUID();
    const order = created(orderId);
    const again = created(orderId);
    // The same event twice, another OrderCreated for the same order, then a cancellation: all on
    // one partition, so once the cancellation is told, the three before it were handled.
    await produce(order);
    await produce(order);
    await produce(again);
    await produce(cancelled(orderId, order.traceparent));

    await eventually('the cancellation to be told', () => sentFor(orderId).some((r) => r.event.data.kind === 'order-cancelled'));
    expect(await rowsOf(orderId)).toEqual([
      { kind: 'order-cancelled', cause_event_id: expect.any(String) },
      { kind: 'order-received', cause_event_id: order.id },
    ]);
    // The relay publishes in outbox order: the cancellation's event came after any for order-received.
    expect(sentFor(orderId).map((r) => r.event.data.kind)).toEqual(['order-received', 'order-cancelled']);
    expect((await notificationsOf(orderId)).map((n) => n.kind)).toEqual(['order-received', 'order-cancelled']);
  });

  it('skips PaymentFailed: the cancellation that follows it is what the customer is told', async () => {
    const orderId = randomUUID();
    const failed = createEvent({ type: 'PaymentFailed', source: 'payment', data: { orderId, paymentId: randomUUID(), amountCents: 1700, reason: 'declined', detail: 'test', attempts: 1 } });
    // Same topic and key after it: once that one is told, PaymentFailed was seen and skipped.
    await produce(failed);
    await produce(paid(orderId));

    await eventually('the payment to be told', () => sentFor(orderId).length > 0);
    expect((await notificationsOf(orderId)).map((n) => n.kind)).toEqual(['order-paid']);
  });

  it('answers 400 naming the field for a bad order id', async () => {
    const response = await fetch(`${notificationUrl}/notifications?orderId=not-a-uuid`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'validation', message: expect.stringContaining('querystring.orderId') });
  });
});

// --- poison records and the DLQ -------------------------------------------------------------------

describe('a poison record and the DLQ', () => {
  it('dead-letters a poison record with its origin and error, stores it, and goes on with the next event', async () => {
    const orderId = randomUUID();
    const { value, at, deadLetter } = await poison(orderId);

    expect(deadLetter.topic).toBe('dlq-events');
    expect(deadLetter.key).toBe(orderId);
    expect(deadLetter.event.data).toMatchObject({
      origin: { topic: 'order-events', partition: at.partition, offset: at.offset, key: orderId, headers: {}, value, valueEncoding: 'utf8' },
      consumer: 'notification-service',
      error: { kind: 'malformed', message: expect.stringContaining('not a CloudEvent') },
      attempts: 0,
    });
    // The consumer moved on: the OrderCreated behind the poison record was told.
    await eventually('the next event to be handled', async () => (await notificationsOf(orderId)).some((n) => n.kind === 'order-received'));

    const listed = await eventually('the dead letter in `dlq list --json`', async () => (await dlqList()).find((d) => d.id === deadLetter.event.id));
    expect(listed).toMatchObject({
      origin: { topic: 'order-events', partition: at.partition, offset: at.offset, key: orderId, value, valueEncoding: 'utf8' },
      consumer: 'notification-service',
      error: { kind: 'malformed', message: expect.stringContaining('not a CloudEvent') },
      attempts: 0,
      status: 'stored',
      replayedAt: null,
      replayCount: 0,
    });
    const { rows } = await db.query('SELECT origin_topic, origin_partition, origin_offset, origin_key, error_kind, status FROM dlq_svc.dead_letters WHERE id = $1', [deadLetter.event.id]);
    expect(rows).toEqual([{ origin_topic: 'order-events', origin_partition: at.partition, origin_offset: at.offset, origin_key: orderId, error_kind: 'malformed', status: 'stored' }]);

    const table = await runCli(['dlq', 'list', '--status', 'stored', '--limit', '1000']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+TIME\s+ORIGIN\s+ORDER\s+CONSUMER\s+KIND\s+ERROR\s+ATT\s+STATUS$/m);
    expect(table.stdout).toMatch(new RegExp(`^${deadLetter.event.id.slice(0, 8)}\\s+\\S+ \\S+\\s+order-events/${at.partition}@${at.offset}\\s+${orderId.slice(0, 8)}\\s+notification\\s+malformed\\s+not a CloudEvent.*\\s+0\\s+stored$`, 'm'));
  });

  it('replays a dead letter to its topic as it was, with x-replayed-from, and lists it as replayed', async () => {
    const orderId = randomUUID();
    const { value, at, deadLetter } = await poison(orderId);
    const id = deadLetter.event.id;
    await eventually('the dead letter to be stored', async () => (await dlqList('--status', 'stored')).some((d) => d.id === id));

    const result = await runCli(['dlq', 'replay', id.slice(0, 8)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('replayed 1 dead letter:');
    expect(result.stdout).toContain(`${id.slice(0, 8)}  → order-events  (was partition ${at.partition} offset ${at.offset}, key ${orderId})`);
    expect(result.stdout).toContain(`${id.slice(0, 8)} (malformed): the record itself was at fault and goes back as it was, so it will be dead-lettered again`);

    const replayed = await eventually('the replayed record on order-events', () => seen.find((r) => r.topic === 'order-events' && r.headers['x-replayed-from'] === id));
    // Addressed to the group whose dead letter was replayed: the payment service, which reads
    // order-events too and dead-lettered the poison record itself, passes it by.
    expect(replayed).toMatchObject({ key: orderId, value, partition: at.partition, headers: { 'x-replayed-from': id, 'x-replay-for': 'notification-service' } });
    expect(BigInt(replayed.offset)).toBeGreaterThan(BigInt(at.offset));
    expect(deadLettersOf(orderId, 'payment-service').map((r) => r.event.data.origin.offset)).toContain(at.offset);

    const listed = (await dlqList('--status', 'replayed')).find((d) => d.id === id);
    expect(listed).toMatchObject({ status: 'replayed', replayCount: 1, replayedAt: expect.any(String) });
    expect((await dlqList('--status', 'stored')).some((d) => d.id === id)).toBe(false);

    // Still poison: the notification service dead-letters it again, as a new dead letter that says where it came from.
    const again = await eventually('the replayed record to be dead-lettered again', () => deadLettersOf(orderId, 'notification-service').find((r) => r.event.data.origin.offset === replayed.offset));
    expect(again.event.data.origin.headers['x-replayed-from']).toBe(id);
    expect(again.event.id).not.toBe(id);
    await eventually('the payment group to have read past the replayed record', () => committedPast('payment-service', 'order-events', replayed.partition, replayed.offset));
    expect(deadLettersOf(orderId, 'payment-service').filter((r) => r.event.data.origin.offset === replayed.offset)).toEqual([]);

    const metrics = await (await fetch(`${dlqUrl}/metrics`)).text();
    expect(metrics).toMatch(/^dlq_depth\{[^}]*\} \d+$/m);
    expect(metrics).toMatch(/^dlq_dead_letters_total\{topic="order-events",kind="malformed"[^}]*\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^dlq_replayed_total\{[^}]*\} [1-9]\d*$/m);
  });

  it('replays a valid event that was already handled: the inbox absorbs it and nothing changes', async () => {
    const orderId = randomUUID();
    const order = created(orderId);
    const at = await produce(order);
    await eventually('the order to be told', () => sentFor(orderId).length > 0);
    const record = encodeEvent(order);
    const letter = createEvent({
      type: 'DeadLettered',
      source: 'test',
      data: {
        origin: { topic: 'order-events', partition: at.partition, offset: at.offset, key: orderId, headers: record.headers, value: record.value, valueEncoding: 'utf8' },
        consumer: 'notification-service',
        error: { kind: 'retries-exhausted', message: 'gave up after 5 attempts' },
        attempts: 5,
        deadLetteredAt: new Date().toISOString(),
      },
    });
    await produce(letter);
    await eventually('the dead letter to be stored', async () => (await dlqList('--status', 'stored')).some((d) => d.id === letter.id));

    const result = await runCli(['dlq', 'replay', letter.id]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('dead-lettered again'); // retries exhausted: a replay may well succeed
    const replayed = await eventually('the replayed event on order-events', () => seen.find((r) => r.headers['x-replayed-from'] === letter.id));
    expect(replayed.event).toEqual(order);
    // A cancellation behind it on the same partition: once it is told, the replay was handled.
    await produce(cancelled(orderId));
    await eventually('the cancellation to be told', () => sentFor(orderId).some((r) => r.event.data.kind === 'order-cancelled'));
    expect(await rowsOf(orderId)).toEqual([
      { kind: 'order-cancelled', cause_event_id: expect.any(String) },
      { kind: 'order-received', cause_event_id: order.id },
    ]);
    expect(sentFor(orderId).map((r) => r.event.data.kind)).toEqual(['order-received', 'order-cancelled']);
  });

  it('stores whatever arrives on dlq-events: a record that is no DeadLettered event as malformed, a re-sent dead letter once', async () => {
    const key = `garbage-${randomUUID()}`;
    await produceRaw('dlq-events', [{ key, value: 'not a dead letter' }]);
    const orderId = randomUUID();
    const handMade = createEvent({
      type: 'DeadLettered',
      source: 'test',
      data: {
        origin: { topic: 'order-events', partition: 0, offset: '0', key: orderId, headers: {}, value: 'x', valueEncoding: 'utf8' },
        consumer: 'test-consumer',
        error: { kind: 'retries-exhausted', message: 'gave up' },
        attempts: 5,
        deadLetteredAt: new Date().toISOString(),
      },
    });
    // Twice, then a marker on the same partition: once the marker is stored, both copies were handled.
    const marker = createEvent({ type: 'DeadLettered', source: 'test', data: { ...handMade.data, error: { kind: 'invalid', message: 'marker' } } });
    await produce(handMade);
    await produce(handMade, marker);

    const all = await eventually('the marker and the malformed record to be stored', async () => {
      const list = await dlqList();
      return list.some((d) => d.id === marker.id) && list.some((d) => d.origin.key === key) && list;
    });
    expect(all.filter((d) => d.id === handMade.id)).toEqual([expect.objectContaining({ consumer: 'test-consumer', error: { kind: 'retries-exhausted', message: 'gave up' }, attempts: 5, status: 'stored' })]);
    const garbage = all.find((d) => d.origin.key === key);
    expect(garbage).toMatchObject({ origin: { topic: 'dlq-events', key, value: 'not a dead letter' }, consumer: 'unknown', error: { kind: 'malformed', message: expect.stringContaining('not a valid DeadLettered event') }, status: 'stored' });

    // A malformed record of dlq-events itself has nowhere to go back to.
    const refused = await runCli(['dlq', 'replay', garbage!.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`dead letter ${garbage!.id} cannot be replayed`);
  });

  it('holds dead letters while its database is away, and stores them once it is back', async () => {
    const orderId = randomUUID();
    const letter = createEvent({
      type: 'DeadLettered',
      source: 'test',
      data: {
        origin: { topic: 'order-events', partition: 1, offset: '1', key: orderId, headers: {}, value: 'x', valueEncoding: 'utf8' },
        consumer: 'test-consumer',
        error: { kind: 'not-retriable', message: 'broken' },
        attempts: 1,
        deadLetteredAt: new Date().toISOString(),
      },
    });
    await setLink('dlq-postgres', false);
    try {
      await produce(letter);
      await eventually(
        'the dlq service to say it holds the dead letter',
        async () => (await runCli(['logs', 'dlq', '-n', '100'])).stdout.includes('database unavailable; holding dead letters until it is back'),
        30_000,
        500,
      );
      const answer = await fetch(`${dlqUrl}/dead-letters/${letter.id}`);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
    } finally {
      await setLink('dlq-postgres', true);
    }
    const stored = await eventually('the dead letter to be stored', async () => {
      const response = await fetch(`${dlqUrl}/dead-letters/${letter.id}`);
      return response.status === 200 && ((await response.json()) as DeadLetterJson);
    });
    expect(stored).toMatchObject({ id: letter.id, consumer: 'test-consumer', error: { kind: 'not-retriable', message: 'broken' }, status: 'stored' });
  });

  it('the dlq API validates its input', async () => {
    const replay = await fetch(`${dlqUrl}/dead-letters/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({ error: 'bad-request', message: 'send either ids (a list of dead-letter ids) or all: true' });
    const missing = await fetch(`${dlqUrl}/dead-letters/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not-found' });
    const bad = await fetch(`${dlqUrl}/dead-letters?status=lost`);
    expect(bad.status).toBe(400);
  });
});

describe('pizza-lab dlq on a bad command line', () => {
  it('replay with neither ids nor --all is a usage error (exit 2) that says what to pass', async () => {
    const result = await runCli(['dlq', 'replay']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('error: nothing to replay: pass dead-letter ids, or --all for every stored one — see the ids with `pizza-lab dlq list --status stored`');
  });

  it('replay of an unknown id fails (exit 1) naming it', async () => {
    const id = randomUUID();
    const result = await runCli(['dlq', 'replay', id]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`error: there is no dead letter ${id} — see the ids with \`pizza-lab dlq list\``);
  });

  it('--help shows examples', async () => {
    const result = await runCli(['dlq', 'replay', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: pizza-lab dlq replay [options] [ids...]');
    expect(result.stdout).toContain('$ pizza-lab dlq replay --all');
  });
});
