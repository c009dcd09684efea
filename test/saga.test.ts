/**
 * The saga end to end through the gateway, as a customer and a DBA would see it: the order's
 * state and history, the charges at the provider, the notifications, and the events on Kafka
 * with their CloudEvents headers — for a paid order, a declined one, a redelivered event, a
 * poison record, and an order placed while its service cannot reach Kafka (the outbox).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../services/events/index.js';
import { readEvents, type WatchedRecord } from '../cli/watch/event-stream.js';
import { eventually, groupCommitsDuring, lab, runCli, serviceUrl } from './support/lab.js';

const { plan } = lab();
const gateway = plan.endpoints.gateway;
const db = new pg.Pool({ connectionString: plan.endpoints.postgres, max: 2 });
const kafka = new Kafka({ clientId: 'saga-test', brokers: plan.endpoints.kafka, logLevel: logLevel.NOTHING });
const producer = kafka.producer();
const providerUrl = serviceUrl('payment-provider');

beforeAll(async () => {
  await producer.connect();
});
afterAll(async () => {
  await producer.disconnect();
  await db.end();
});

async function placeOrder(body: object = {}, key = randomUUID()) {
  const response = await fetch(`${gateway}/api/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ items: [{ pizzaId: 'margherita', quantity: 2 }, { pizzaId: 'funghi', quantity: 1 }], deliveryAddress: '12 Test Lane', paymentMethod: 'card', ...body }),
  });
  return { status: response.status, body: (await response.json()) as { orderId: string; status: string; total: number } };
}

async function order(id: string) {
  const response = await fetch(`${gateway}/api/v1/orders/${id}`);
  return (await response.json()) as { status: string; cancelReason: string | null; history: { status: string }[] };
}

const terminal = (id: string) =>
  eventually(
    `order ${id} to be terminal`,
    async () => {
      const o = await order(id);
      return o.status === 'PAID' || o.status === 'CANCELLED' ? o : undefined;
    },
    30_000,
  );

const rows = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]) => (await db.query<T>(sql, params)).rows;
const eventsOf = async (orderId: string, since: number, settle = (records: WatchedRecord[]) => records.length > 0) =>
  eventually(`events of ${orderId}`, async () => {
    const records = await readEvents(plan.endpoints.kafka, { kind: 'time', at: since - 1000 }, (r) => r.event?.subject === orderId);
    return settle(records) ? records : undefined;
  });

describe('the saga through the gateway', () => {
  it('takes a paid order to PAID: one charge, its notifications, its events in order with CloudEvents headers', async () => {
    const since = Date.now();
    const placed = await placeOrder();
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ status: 'PENDING_PAYMENT', total: 26.5 });
    const id = placed.body.orderId;

    const final = await terminal(id);
    expect(final.status).toBe('PAID');
    expect(final.history.map((h) => h.status)).toEqual(['PENDING_PAYMENT', 'PAID']);

    expect(await rows('SELECT status, amount_cents FROM payment_provider_svc.charges WHERE order_id = $1', [id])).toEqual([{ status: 'succeeded', amount_cents: 2650 }]);
    const notifications = await eventually('both notifications', async () => {
      const found = await rows<{ kind: string }>('SELECT kind FROM notification_svc.notifications WHERE order_id = $1 ORDER BY sent_at', [id]);
      return found.length === 2 ? found : undefined;
    });
    expect(notifications.map((n) => n.kind)).toEqual(['order-received', 'order-paid']);

    const records = await eventsOf(id, since, (r) => r.filter((x) => x.event?.type === 'NotificationSent').length === 2);
    const saga = records.filter((r) => r.event!.type !== 'NotificationSent');
    expect(saga.map((r) => [r.topic, r.event!.type])).toEqual([
      ['order-events', 'OrderCreated'],
      ['payment-events', 'OrderPaid'],
    ]);
    for (const r of records) {
      expect(r.key).toBe(id);
      expect(r.headers).toMatchObject({ ce_specversion: '1.0', ce_subject: id, 'content-type': 'application/json' });
      expect(r.headers.ce_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.ce_source).toMatch(/^\/services\/(order|payment|notification)$/);
      expect(Date.parse(r.headers.ce_time!)).toBeGreaterThan(since - 5000);
      expect(r.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
    // One trace for the whole saga.
    expect(new Set(records.map((r) => r.headers.traceparent!.split('-')[1])).size).toBe(1);
  });

  it('cancels a declined order: zero charges, a cancellation notification, OrderCancelled on Kafka', async () => {
    const since = Date.now();
    const { body } = await placeOrder({ paymentMethod: 'card-declined' });
    const final = await terminal(body.orderId);
    expect(final.status).toBe('CANCELLED');
    expect(final.cancelReason).toMatch(/declined/);
    expect(await rows(`SELECT 1 FROM payment_provider_svc.charges WHERE order_id = $1 AND status = 'succeeded'`, [body.orderId])).toEqual([]);
    await eventually('the cancellation email', async () => (await rows(`SELECT 1 FROM notification_svc.notifications WHERE order_id = $1 AND kind = 'order-cancelled'`, [body.orderId])).length === 1);
    const records = await eventsOf(body.orderId, since, (r) => r.some((x) => x.event?.type === 'OrderCancelled'));
    expect(records.filter((r) => r.event!.type !== 'NotificationSent').map((r) => r.event!.type)).toEqual(['OrderCreated', 'PaymentFailed', 'OrderCancelled']);
  });

  it('changes nothing when the same OrderPaid (same ce_id) is delivered again', async () => {
    const since = Date.now();
    const { body } = await placeOrder();
    await terminal(body.orderId);
    const [paid] = (await eventsOf(body.orderId, since, (r) => r.some((x) => x.event?.type === 'OrderPaid'))).filter((r) => r.event!.type === 'OrderPaid');
    const historyBefore = await rows('SELECT status, event_id FROM order_svc.order_status_history WHERE order_id = $1 ORDER BY id', [body.orderId]);

    const encoded = encodeEvent(paid!.event!);
    await producer.send({ topic: encoded.topic, messages: [{ key: encoded.key, value: encoded.value, headers: encoded.headers }] });
    // Wait until the order service has seen the copy: its consumer group reaches the end of the partition.
    const admin = kafka.admin();
    await admin.connect();
    await eventually('the order service to consume the copy', async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: 'order-service', topics: ['payment-events'] });
      const ends = await admin.fetchTopicOffsets('payment-events');
      // A partition that never held a record has no committed offset (-1) and an end of 0.
      return offsets!.partitions.every((p) => Math.max(0, Number(p.offset)) >= Number(ends.find((e) => e.partition === p.partition)!.high));
    });
    await admin.disconnect();
    expect(await rows('SELECT status, event_id FROM order_svc.order_status_history WHERE order_id = $1 ORDER BY id', [body.orderId])).toEqual(historyBefore);
    expect(await rows('SELECT count(*)::int AS n FROM order_svc.inbox WHERE event_id = $1', [paid!.event!.id])).toEqual([{ n: 1 }]);
  });

  it('dead-letters a poison record on order-events with its origin and error, and the next order still completes', async () => {
    const key = randomUUID();
    const [meta] = await producer.send({ topic: 'order-events', messages: [{ key, value: '{"not": "a CloudEvent"' }] });
    const stored = await eventually('the dead letter in the dlq table', async () => {
      const found = await rows<{ origin_topic: string; origin_partition: number; origin_offset: string; consumer: string; error_kind: string; error_message: string }>(
        'SELECT origin_topic, origin_partition, origin_offset, consumer, error_kind, error_message FROM dlq_svc.dead_letters WHERE origin_key = $1 ORDER BY consumer',
        [key],
      );
      return found.length >= 2 ? found : undefined;
    });
    expect(stored.map((s) => s.consumer)).toEqual(['notification-service', 'payment-service']);
    for (const s of stored) expect(s).toMatchObject({ origin_topic: 'order-events', origin_partition: meta!.partition, origin_offset: meta!.baseOffset, error_kind: 'malformed' });

    const { body } = await placeOrder();
    expect((await terminal(body.orderId)).status).toBe('PAID');
  });

  it('accepts an order while its service cannot reach Kafka (the outbox), and completes it once the link is back', async () => {
    const setLink = (enabled: boolean) => fetch(`${plan.endpoints.faultApi}/proxies/order-kafka`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enabled }) });
    await setLink(false);
    try {
      const placed = await placeOrder();
      expect(placed.status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const waiting = await rows<{ event_type: string }>('SELECT event_type FROM order_svc.outbox WHERE event_key = $1', [placed.body.orderId]);
      expect(waiting).toEqual([{ event_type: 'OrderCreated' }]);
      expect((await order(placed.body.orderId)).status).toBe('PENDING_PAYMENT');

      await setLink(true);
      expect((await terminal(placed.body.orderId)).status).toBe('PAID');
      expect(await rows('SELECT 1 FROM order_svc.outbox WHERE event_key = $1', [placed.body.orderId])).toEqual([]);
    } finally {
      await setLink(true);
    }
  });

  it('writes orders placed together in shared commits: each its own order and OrderCreated, one order per Idempotency-Key', async () => {
    // All to one order instance, while its database link is slow.
    const orderUrl = serviceUrl('order');
    const address = `${randomUUID().slice(0, 8)} Burst Street`;
    const shared = randomUUID();
    const since = Date.now();
    const { result: answers, writes, requests } = await groupCommitsDuring('order', 'orders', 'order-postgres', () =>
      Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const response = await fetch(`${orderUrl}/api/v1/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': i < 5 ? shared : randomUUID() },
            body: JSON.stringify({ items: [{ pizzaId: 'margherita', quantity: 1 }], deliveryAddress: address, paymentMethod: 'card' }),
          });
          return { status: response.status, orderId: ((await response.json()) as { orderId: string }).orderId };
        }),
      ),
    );
    expect(requests).toBe(30);
    expect(writes).toBeLessThanOrEqual(5);

    // The five requests with one key: one order (201), four replays of it (200).
    const sharedAnswers = answers.slice(0, 5);
    expect(sharedAnswers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(sharedAnswers.map((a) => a.orderId)).size).toBe(1);
    expect(answers.slice(5).every((a) => a.status === 201)).toBe(true);
    const ids = [...new Set(answers.map((a) => a.orderId))];
    expect(ids).toHaveLength(26);

    const stored = await rows<{ id: string; history: number }>(
      `SELECT o.id, (SELECT count(*)::int FROM order_svc.order_status_history h WHERE h.order_id = o.id AND h.status = 'PENDING_PAYMENT') AS history
         FROM order_svc.orders o WHERE o.delivery_address = $1`,
      [address],
    );
    expect(stored.map((o) => o.id).sort()).toEqual([...ids].sort());
    expect(stored.every((o) => o.history === 1)).toBe(true);
    // Exactly one OrderCreated each (none for the replays' discarded ids), and every saga completes.
    const created = await eventually('26 OrderCreated', async () => {
      const records = await readEvents(plan.endpoints.kafka, { kind: 'time', at: since - 1000 }, (r) => r.event?.type === 'OrderCreated' && (r.event.data as { deliveryAddress?: string }).deliveryAddress === address);
      return records.length >= 26 ? records : undefined;
    });
    expect(created.map((r) => r.event!.subject).sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await terminal(id)).status).toBe('PAID');
  });

  it('charges exactly once when the provider fails first (retries with the same key)', async () => {
    await fetch(`${providerUrl}/control`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'errors', rate: 1 }) });
    try {
      const { body } = await placeOrder();
      await new Promise((resolve) => setTimeout(resolve, 800));
      await fetch(`${providerUrl}/control`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'ok' }) });
      expect((await terminal(body.orderId)).status).toBe('PAID');
      expect(await rows(`SELECT count(*)::int AS n FROM payment_provider_svc.charges WHERE order_id = $1 AND status = 'succeeded'`, [body.orderId])).toEqual([{ n: 1 }]);
    } finally {
      await fetch(`${providerUrl}/control`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'ok' }) });
    }
  });
});

describe('pizza-lab order', () => {
  it('places an order and with --follow prints each saga step until PAID', async () => {
    const result = await runCli(['order', '--pizza', 'margherita:2', '--pizza', 'Funghi', '--follow']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^order [0-9a-f-]{36} accepted: 2× Margherita, 1× Funghi — €26\.50 — PENDING_PAYMENT$/);
    const types = lines.slice(1, -1).map((l) => /(OrderCreated|OrderPaid|NotificationSent|PaymentFailed|OrderCancelled)/.exec(l)?.[1]);
    expect(types.filter((t) => t !== 'NotificationSent')).toEqual(['OrderCreated', 'OrderPaid']);
    expect(lines.at(-1)).toMatch(/^order [0-9a-f]{8} is PAID — .* from created to paid$/);
  });

  it('--json --follow gives one object per order with its steps; --count places several', async () => {
    const result = await runCli(['order', '--payment', 'card-declined', '--count', '2', '--follow', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const orders = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; steps: { type: string; service: string }[] });
    expect(orders).toHaveLength(2);
    for (const o of orders) {
      expect(o.status).toBe('CANCELLED');
      expect(o.steps.filter((s) => s.type !== 'NotificationSent').map((s) => `${s.service}:${s.type}`)).toEqual(['order:OrderCreated', 'payment:PaymentFailed', 'order:OrderCancelled']);
    }
  });

  it('names the menu when the pizza is unknown (exit 2)', async () => {
    const result = await runCli(['order', '--pizza', 'pineapple-surprise']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --pizza pineapple-surprise: there is no such pizza — the menu has: .*margherita/);
  });

  it('says what is wrong with a quantity, and places nothing (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['--pizza', 'margherita:2.5'], 'error: --pizza margherita:2.5: the quantity must be a whole number from 1 to 20\n'],
      [['--pizza', 'margherita:-1'], 'error: --pizza margherita:-1: the quantity must be a whole number from 1 to 20\n'],
      [['--pizza', 'margherita:x'], 'error: --pizza margherita:x: the quantity must be a whole number from 1 to 20\n'],
      [['--pizza', 'margherita:21'], 'error: --pizza margherita:21: the quantity must be a whole number from 1 to 20\n'],
      [['--pizza', 'margherita:15', '--pizza', 'margherita:10'], 'error: --pizza margherita:10: the quantity must be a whole number from 1 to 20 (25 margherita in all)\n'],
      [['--pizza', 'margherita:2,funghi:1'], 'error: --pizza margherita:2,funghi:1: one pizza per --pizza — repeat the flag: --pizza margherita:2 --pizza funghi:1\n'],
    ];
    for (const [args, stderr] of cases) {
      const result = await runCli(['order', ...args, '--json']);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toBe(stderr);
      expect(result.stdout).toBe('');
    }
  });
});
