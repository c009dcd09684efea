/**
 * The payment step of the saga and the bank mock, as a user meets them on the running stack: the
 * provider's HTTP answers and ledger, and the payment service turning an OrderCreated produced
 * straight to Kafka into exactly one charge and exactly one OrderPaid or PaymentFailed, whatever
 * the provider does meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, decodeEvent, encodeEvent, headersOf, traceIdOf, type EventType, type SagaEvent } from '../services/events/index.js';
import { orderCreated as createOrderCreated } from './support/events.js';
import { eventually, groupCommitsDuring, lab, serviceUrl } from './support/lab.js';

const { plan } = lab();
const providerUrl = serviceUrl('payment-provider');
const paymentUrl = serviceUrl('payment');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface SeenEvent {
  topic: string;
  partition: number;
  key: string | null;
  headers: Record<string, string>;
  event: SagaEvent;
}

const kafka = new Kafka({ clientId: `payment-test-${randomUUID().slice(0, 8)}`, brokers: plan.endpoints.kafka, logLevel: logLevel.NOTHING });
let producer: Producer;
let consumer: Consumer;
let db: pg.Client;
/** Every event on payment-events and dlq-events since the lab started, decoded. */
const seen: SeenEvent[] = [];

beforeAll(async () => {
  producer = kafka.producer();
  await producer.connect();
  consumer = kafka.consumer({ groupId: `payment-test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: ['payment-events', 'dlq-events'], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const decoded = decodeEvent(message);
      if (decoded.ok) seen.push({ topic, partition, key: message.key?.toString() ?? null, headers: headersOf(message), event: decoded.event });
    },
  });
  db = new pg.Client({ connectionString: plan.endpoints.postgres });
  await db.connect();
});

afterAll(async () => {
  await Promise.allSettled([consumer?.disconnect(), producer?.disconnect(), db?.end()]);
});

// A test that changes the provider's behaviour must never leak it into the next one.
afterEach(async () => {
  await setControl({ mode: 'ok' });
});

async function setControl(body: Record<string, unknown>) {
  const response = await fetch(`${providerUrl}/control`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function postCharge(body: Record<string, unknown>, key?: string) {
  const response = await fetch(`${providerUrl}/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

interface Charge {
  chargeId: string;
  orderId: string;
  status: 'succeeded' | 'declined';
  declineReason: string | null;
  amountCents: number;
}

async function chargesOf(orderId: string): Promise<Charge[]> {
  const response = await fetch(`${providerUrl}/charges?orderId=${orderId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { charges: Charge[] }).charges;
}

async function paymentRows(orderId: string) {
  const { rows } = await db.query('SELECT status, charge_id AS "chargeId", attempts, reason FROM payment_svc.payments WHERE order_id = $1', [orderId]);
  return rows as { status: string; chargeId: string | null; attempts: number; reason: string | null }[];
}

/** The provider's `provider_charges_total` for one outcome. */
async function providerCounter(outcome: string): Promise<number> {
  const text = await (await fetch(`${providerUrl}/metrics`)).text();
  const match = new RegExp(`^provider_charges_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

const orderCreated = (paymentMethod = 'card', orderId: string = randomUUID()) => createOrderCreated({ paymentMethod, orderId });

/** Produces events to order-events, as the order service's relay would (optionally all to one partition). */
async function produce(events: SagaEvent[], partition?: number) {
  await producer.send({
    topic: 'order-events',
    acks: -1,
    messages: events.map((event) => {
      const record = encodeEvent(event);
      return { key: record.key, value: record.value, headers: record.headers, ...(partition === undefined ? {} : { partition }) };
    }),
  });
}

const eventsOf = (orderId: string, type?: EventType) => seen.filter((s) => s.event.subject === orderId && (type === undefined || s.event.type === type));

/** Waits for the payment service's answer (OrderPaid or PaymentFailed) about an order. */
function outcomeOf(orderId: string, timeoutMs = 30_000) {
  return eventually(`OrderPaid or PaymentFailed for ${orderId}`, () => seen.find((s) => s.topic === 'payment-events' && s.event.subject === orderId), timeoutMs);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('payment-provider (the bank mock)', () => {
  const charge = (orderId: string, paymentMethod = 'card') => ({ orderId, amountCents: 1250, currency: 'EUR', paymentMethod });

  it('charges once per Idempotency-Key and replays the same charge', async () => {
    const orderId = randomUUID();
    const key = `key-${randomUUID()}`;
    const first = await postCharge(charge(orderId), key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ orderId, amountCents: 1250, currency: 'EUR', status: 'succeeded' });
    expect(first.body.chargeId).toMatch(/^ch_[0-9a-f]{24}$/);
    expect(Date.parse(first.body.createdAt)).not.toBeNaN();
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await postCharge(charge(orderId), key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);

    const byId = await fetch(`${providerUrl}/charges/${first.body.chargeId}`);
    expect(byId.status).toBe(200);
    expect(await byId.json()).toEqual(first.body);
    expect(await chargesOf(orderId)).toEqual([first.body]);
  });

  it('refuses a charge without Idempotency-Key, with a bad body, or reusing a key for another body', async () => {
    const orderId = randomUUID();
    const noKey = await postCharge(charge(orderId));
    expect(noKey.status).toBe(400);
    expect(noKey.body).toMatchObject({ error: 'validation', message: 'headers.idempotency-key is required' });

    const bad = await postCharge({ ...charge(orderId), amountCents: -1, currency: 'USD' }, randomUUID());
    expect(bad.status).toBe(400);
    expect(bad.body.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['body.amountCents', 'body.currency']);

    const key = randomUUID();
    expect((await postCharge(charge(orderId), key)).status).toBe(201);
    const reused = await postCharge({ ...charge(orderId), amountCents: 9999 }, key);
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ error: 'unprocessable', message: 'this Idempotency-Key was already used for a different charge', details: { idempotencyKey: key } });
    expect(await chargesOf(orderId)).toHaveLength(1);

    const missing = await fetch(`${providerUrl}/charges/ch_nosuchcharge`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not-found', message: 'there is no charge ch_nosuchcharge' });
  });

  it('writes charges asked for together in shared commits, still one charge per Idempotency-Key', async () => {
    const sharedOrder = randomUUID();
    const sharedKey = randomUUID();
    const others = Array.from({ length: 16 }, () => randomUUID());
    const { result: answers, writes, requests } = await groupCommitsDuring('payment-provider', 'charges', 'payment-provider-postgres', () =>
      Promise.all([...Array.from({ length: 4 }, () => postCharge(charge(sharedOrder), sharedKey)), ...others.map((orderId) => postCharge(charge(orderId), randomUUID()))]),
    );
    expect(requests).toBe(20);
    expect(writes).toBeLessThanOrEqual(5);

    const shared = answers.slice(0, 4);
    expect(shared.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(shared.map((a) => a.body.chargeId)).size).toBe(1);
    expect(await chargesOf(sharedOrder)).toEqual([expect.objectContaining({ chargeId: shared[0]!.body.chargeId, status: 'succeeded' })]);
    expect(answers.slice(4).map((a) => a.status)).toEqual(Array(16).fill(201));
    for (const [i, orderId] of others.entries()) expect(await chargesOf(orderId)).toEqual([expect.objectContaining({ chargeId: answers[4 + i]!.body.chargeId })]);
  });

  it('always declines card-declined, records the decline and answers the same 402 again', async () => {
    const orderId = randomUUID();
    const key = randomUUID();
    const first = await postCharge(charge(orderId, 'card-declined'), key);
    expect(first.status).toBe(402);
    expect(first.body).toEqual({ error: 'declined', message: 'the charge was declined: card-declined', details: { chargeId: expect.stringMatching(/^ch_/), reason: 'card-declined' } });
    const again = await postCharge(charge(orderId, 'card-declined'), key);
    expect(again.status).toBe(402);
    expect(again.body).toEqual(first.body);
    expect(await chargesOf(orderId)).toMatchObject([{ chargeId: first.body.details.chargeId, status: 'declined', declineReason: 'card-declined' }]);
  });

  it('makes exactly one charge for concurrent calls with the same key', async () => {
    const orderId = randomUUID();
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => postCharge(charge(orderId), key)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.chargeId)).size).toBe(1);
    expect(await chargesOf(orderId)).toHaveLength(1);
  });

  it('misbehaves as its control endpoint says: decline, errors (nothing charged), down, slow', async () => {
    expect(await (await fetch(`${providerUrl}/control`)).json()).toEqual({ mode: 'ok' });

    expect(await setControl({ mode: 'decline' })).toEqual({ status: 200, body: { mode: 'decline', rate: 1 } });
    const declined = await postCharge(charge(randomUUID()), randomUUID());
    expect(declined.status).toBe(402);
    expect(declined.body.details.reason).toBe('insufficient-funds');

    const errorsBefore = await providerCounter('error');
    expect(await setControl({ mode: 'errors', rate: 1 })).toEqual({ status: 200, body: { mode: 'errors', rate: 1 } });
    const failing = randomUUID();
    for (let i = 0; i < 4; i++) expect([500, 503]).toContain((await postCharge(charge(failing), failing)).status);
    expect(await chargesOf(failing)).toEqual([]);
    expect(await providerCounter('error')).toBeGreaterThanOrEqual(errorsBefore + 4);

    expect((await setControl({ mode: 'down' })).body).toEqual({ mode: 'down' });
    const down = await postCharge(charge(failing), failing);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ error: 'unavailable', message: 'the provider is down' });
    expect(await chargesOf(failing)).toEqual([]);

    expect((await setControl({ mode: 'slow', latencyMs: 600 })).body).toEqual({ mode: 'slow', latencyMs: 600 });
    const started = Date.now();
    const slow = await postCharge(charge(failing), failing);
    expect(slow.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);

    const wrong = await setControl({ mode: 'broken', rate: 2 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('validation');
    expect((await fetch(`${providerUrl}/control`).then((r) => r.json())) as unknown).toEqual({ mode: 'slow', latencyMs: 600 });
  });

  it('describes every route with its error answers in its OpenAPI document', async () => {
    const doc = (await (await fetch(`${providerUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths['/charges']!.post!.responses).sort()).toEqual(['200', '201', '400', '402', '413', '415', '422', '500', '503']);
    expect(Object.keys(doc.paths['/charges/{chargeId}']!.get!.responses)).toContain('404');
    expect(Object.keys(doc.paths['/control']!.put!.responses)).toContain('400');
  });
});

describe('payment service (the saga step)', () => {
  it('charges an OrderCreated once and emits OrderPaid as a CloudEvent in the same trace', async () => {
    const created = orderCreated();
    const orderId = created.data.orderId;
    await produce([created]);

    const outcome = await outcomeOf(orderId);
    expect(outcome.event.type).toBe('OrderPaid');
    expect(outcome.key).toBe(orderId);
    expect(outcome.headers).toMatchObject({ ce_specversion: '1.0', ce_type: 'OrderPaid', ce_source: '/services/payment', ce_subject: orderId, 'content-type': 'application/json' });
    expect(outcome.headers.ce_id).toMatch(UUID);
    expect(Date.parse(outcome.headers.ce_time!)).not.toBeNaN();
    expect(traceIdOf(outcome.headers.traceparent)).toBe(traceIdOf(created.traceparent));

    const charges = await chargesOf(orderId);
    expect(charges).toMatchObject([{ orderId, status: 'succeeded', amountCents: 1700 }]);
    expect(outcome.event.data).toEqual({ orderId, paymentId: expect.stringMatching(UUID), amountCents: 1700, currency: 'EUR', chargeId: charges[0]!.chargeId, attempts: 1 });
    expect(await paymentRows(orderId)).toEqual([{ status: 'paid', chargeId: charges[0]!.chargeId, attempts: 1, reason: null }]);

    const payment = await fetch(`${paymentUrl}/payments/${orderId}`);
    expect(payment.status).toBe(200);
    expect(await payment.json()).toMatchObject({ orderId, status: 'paid', chargeId: charges[0]!.chargeId, paymentId: (outcome.event.data as { paymentId: string }).paymentId });
    const health = (await (await fetch(`${paymentUrl}/health`)).json()) as { status: string; checks: Record<string, string> };
    expect(health).toMatchObject({ status: 'ok', checks: { postgres: 'ok', 'payment-provider-breaker': 'closed' } });
  });

  it('emits PaymentFailed (declined) for card-declined, with no succeeded charge', async () => {
    const created = orderCreated('card-declined');
    const orderId = created.data.orderId;
    await produce([created]);

    const outcome = await outcomeOf(orderId);
    expect(outcome.event.type).toBe('PaymentFailed');
    expect(outcome.event.data).toMatchObject({ orderId, reason: 'declined', amountCents: 1700, attempts: 1, detail: 'the charge was declined: card-declined' });
    const charges = await chargesOf(orderId);
    expect(charges.filter((c) => c.status === 'succeeded')).toEqual([]);
    expect(charges).toMatchObject([{ status: 'declined', declineReason: 'card-declined' }]);
    expect(await paymentRows(orderId)).toMatchObject([{ status: 'failed', reason: 'declined', chargeId: charges[0]!.chargeId }]);
  });

  it('emits PaymentFailed (invalid-payment-method) for a method it does not take, without calling the provider', async () => {
    const created = orderCreated('bitcoin');
    const orderId = created.data.orderId;
    await produce([created]);

    const outcome = await outcomeOf(orderId);
    expect(outcome.event.type).toBe('PaymentFailed');
    expect(outcome.event.data).toMatchObject({ orderId, reason: 'invalid-payment-method' });
    expect(await chargesOf(orderId)).toEqual([]);
  });

  it('retries through a flaky provider and still charges exactly once', async () => {
    const created = orderCreated();
    const orderId = created.data.orderId;
    const errorsBefore = await providerCounter('error');
    await setControl({ mode: 'errors', rate: 1 });
    await produce([created]);
    // The provider has refused the payment service at least once before it recovers.
    await eventually('the provider to answer an error', async () => (await providerCounter('error')) > errorsBefore);
    await sleep(1000);
    expect(await chargesOf(orderId)).toEqual([]);
    await setControl({ mode: 'ok' });

    const outcome = await outcomeOf(orderId, 40_000);
    expect(outcome.event.type).toBe('OrderPaid');
    expect((outcome.event.data as { attempts: number }).attempts).toBeGreaterThan(1);
    const charges = await chargesOf(orderId);
    expect(charges).toMatchObject([{ status: 'succeeded' }]);
    expect((outcome.event.data as { chargeId: string }).chargeId).toBe(charges[0]!.chargeId);
    expect(eventsOf(orderId).filter((s) => s.topic === 'dlq-events')).toEqual([]);
  });

  it('retries a charge that timed out with the same key: charged once, OrderPaid once', async () => {
    const created = orderCreated();
    const orderId = created.data.orderId;
    // Slower than the payment service waits (2000 ms): it gives up not knowing it charged.
    await setControl({ mode: 'slow', latencyMs: 3500 });
    await produce([created]);
    const [charged] = await eventually('the provider to charge (answer still pending)', async () => {
      const charges = await chargesOf(orderId);
      return charges.length > 0 && charges;
    });
    await setControl({ mode: 'ok' });

    const outcome = await outcomeOf(orderId, 40_000);
    expect(outcome.event.type).toBe('OrderPaid');
    expect(outcome.event.data).toMatchObject({ chargeId: charged!.chargeId });
    expect((outcome.event.data as { attempts: number }).attempts).toBeGreaterThan(1);
    await sleep(1500);
    expect(await chargesOf(orderId)).toHaveLength(1);
    expect(eventsOf(orderId, 'OrderPaid')).toHaveLength(1);
    expect(await paymentRows(orderId)).toHaveLength(1);
    expect(eventsOf(orderId).filter((s) => s.topic === 'dlq-events')).toEqual([]);
  });

  it('absorbs a redelivered OrderCreated (same ce_id) and a second copy of the order (new ce_id)', async () => {
    const created = orderCreated();
    const orderId = created.data.orderId;
    const copy = createEvent({ type: 'OrderCreated', source: 'order', data: created.data, cause: created.traceparent });
    expect(copy.id).not.toBe(created.id);
    // One partition keeps them in order, so once the sentinel is paid the others were handled.
    const sentinel = orderCreated();
    const partition = Math.floor(Math.random() * plan.topics.partitions);
    await produce([created, created, copy, sentinel], partition);

    await outcomeOf(sentinel.data.orderId);
    // A stray second outcome would sit on another partition of payment-events: give it time to show.
    await sleep(1000);
    expect(eventsOf(orderId, 'OrderPaid')).toHaveLength(1);
    expect(eventsOf(orderId, 'PaymentFailed')).toHaveLength(0);
    expect(await chargesOf(orderId)).toHaveLength(1);
    expect(await paymentRows(orderId)).toHaveLength(1);
    // The redelivery is one inbox row; the copy may be recorded as handled too (its outcome: nothing).
    const { rows } = await db.query<{ event_id: string }>("SELECT event_id FROM payment_svc.inbox WHERE consumer = 'payment-service' AND order_id = $1 ORDER BY event_id", [orderId]);
    expect(rows.map((r) => r.event_id)).toContain(created.id);
    expect(rows.every((r) => r.event_id === created.id || r.event_id === copy.id)).toBe(true);
  });
});
