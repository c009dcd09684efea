import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { invariants, allTerminal, recoveredWithin, availabilityDuringFault } from '../../scenarios/dsl.js';
import { checkEvidence } from './checker.js';
import type { Evidence, EventRecord } from './evidence.js';

/** The evidence of a clean run: `paid` orders paid, `cancelled` declined and cancelled. */
function cleanRun(paid = 3, cancelled = 1): Evidence {
  const t0 = 1_000_000;
  const evidence: Evidence = { startedAt: t0, ledger: [], orders: [], charges: [], payments: [], notifications: [], deadLetters: [], events: [], invalidRecords: 0, faults: [], healedAt: t0 + 120, extra: {} };
  const event = (type: EventRecord['type'], orderId: string, at: number): EventRecord => ({ id: randomUUID(), type, orderId, topic: type === 'OrderPaid' || type === 'PaymentFailed' ? 'payment-events' : 'order-events', timestamp: at });
  for (let i = 0; i < paid + cancelled; i++) {
    const id = randomUUID();
    const key = randomUUID();
    const ok = i < paid;
    const at = t0 + i * 100;
    evidence.ledger.push({ key, scheduledAt: at, finishedAt: at + 5, status: 201, outcome: 'accepted', orderId: id });
    evidence.orders.push({ id, status: ok ? 'PAID' : 'CANCELLED', createdAt: at, updatedAt: at + 50, idempotencyKey: key });
    evidence.charges.push({ orderId: id, status: ok ? 'succeeded' : 'declined' });
    evidence.payments.push({ orderId: id, status: ok ? 'paid' : 'failed' });
    evidence.notifications.push({ orderId: id, kind: 'order-received' }, { orderId: id, kind: ok ? 'order-paid' : 'order-cancelled' });
    evidence.events.push(event('OrderCreated', id, at + 1), ...(ok ? [event('OrderPaid', id, at + 20)] : [event('PaymentFailed', id, at + 20), event('OrderCancelled', id, at + 30)]));
  }
  return evidence;
}

const failing = (evidence: Evidence) => checkEvidence(evidence, [...invariants(), allTerminal({ within: '30s' })]).rows.filter((r) => !r.pass);

describe('the checker', () => {
  it('passes a clean run', () => {
    const verdict = checkEvidence(cleanRun(), [...invariants(), allTerminal({ within: '30s' }), recoveredWithin('10s')]);
    expect(verdict.rows.filter((r) => !r.pass)).toEqual([]);
    expect(verdict.pass).toBe(true);
    expect(verdict.figures).toMatchObject({ accepted: 4, paid: 3, cancelled: 1, recoveryMs: 30 });
  });

  it('fails on a lost order: acknowledged to the client, unknown to the service', () => {
    const evidence = cleanRun();
    evidence.orders.splice(0, 1);
    const rows = failing(evidence);
    expect(rows.map((r) => r.expectation)).toContain('no accepted order is lost');
    expect(rows.find((r) => r.expectation === 'no accepted order is lost')!.measured).toMatch(/^1 lost of 4 accepted/);
  });

  it('counts an unanswered request as accepted when the service knows its key', () => {
    const evidence = cleanRun();
    evidence.ledger[0] = { ...evidence.ledger[0]!, status: 0, outcome: 'unknown', orderId: undefined };
    evidence.orders[0]!.status = 'PENDING_PAYMENT';
    const rows = failing(evidence);
    expect(rows.map((r) => r.expectation)).toEqual(['every order PAID or CANCELLED within 30s once the faults (or the load) ended']);
  });

  it('fails on a double charge', () => {
    const evidence = cleanRun();
    evidence.charges.push({ orderId: evidence.orders[0]!.id, status: 'succeeded' });
    const row = failing(evidence).find((r) => r.expectation.startsWith('one charge per PAID'));
    expect(row?.measured).toMatch(/1 charged twice/);
  });

  it('fails on a cancelled order that was charged', () => {
    const evidence = cleanRun();
    evidence.charges.push({ orderId: evidence.orders[3]!.id, status: 'succeeded' });
    expect(failing(evidence).find((r) => r.expectation.startsWith('one charge per PAID'))?.measured).toMatch(/1 cancelled but charged/);
  });

  it('fails on an illegal sequence: paid and failed for one order', () => {
    const evidence = cleanRun();
    const id = evidence.orders[0]!.id;
    evidence.events.push({ id: randomUUID(), type: 'PaymentFailed', orderId: id, topic: 'payment-events', timestamp: evidence.startedAt + 40 });
    const row = failing(evidence).find((r) => r.expectation.startsWith('every order’s events'));
    expect(row?.measured).toMatch(/OrderCreated → OrderPaid → PaymentFailed/);
  });

  it('fails on a duplicate effect: the same step twice with different event ids', () => {
    const evidence = cleanRun();
    const id = evidence.orders[0]!.id;
    evidence.events.push({ id: randomUUID(), type: 'OrderPaid', orderId: id, topic: 'payment-events', timestamp: evidence.startedAt + 60 });
    expect(failing(evidence).find((r) => r.expectation === 'no effect happened twice')?.measured).toMatch(/2 distinct OrderPaid events/);
  });

  it('accepts the same event delivered twice (same id)', () => {
    const evidence = cleanRun();
    evidence.events.push({ ...evidence.events[1]! });
    expect(failing(evidence)).toEqual([]);
  });

  it('fails on an order stuck before terminal', () => {
    const evidence = cleanRun();
    evidence.orders[1]!.status = 'PENDING_PAYMENT';
    const row = failing(evidence).find((r) => r.expectation.startsWith('every order PAID or CANCELLED'));
    expect(row?.measured).toMatch(/^1 still pending/);
  });

  it('fails on a missing final notification and on dead letters left behind', () => {
    const evidence = cleanRun();
    evidence.notifications = evidence.notifications.filter((n) => n.kind !== 'order-cancelled');
    evidence.deadLetters.push({ id: 'dl-1', originTopic: 'order-events', key: evidence.orders[0]!.id, errorKind: 'retries-exhausted', status: 'stored' });
    const expectations = failing(evidence).map((r) => r.expectation);
    expect(expectations).toContain('one final notification per terminal order');
    expect(expectations).toContain('every dead letter stored, and re-driven unless it is poison');
  });

  it('measures availability during a fault from the ledger', () => {
    const evidence = cleanRun(4, 0);
    evidence.faults.push({ action: 'kill order', start: evidence.startedAt + 150, end: evidence.startedAt + 350 });
    evidence.ledger[2] = { ...evidence.ledger[2]!, status: 503, outcome: 'unknown', orderId: undefined };
    const verdict = checkEvidence(evidence, [availabilityDuringFault(0.9)]);
    expect(verdict.rows[0]).toMatchObject({ pass: false, measured: '50.0 % of 2' });
  });

  it('counts requests the load generator dropped during a fault as unavailable', () => {
    const evidence = cleanRun(4, 0);
    evidence.faults.push({ action: 'pause order', start: evidence.startedAt, end: evidence.startedAt + 999 });
    evidence.load = { latencyMs: { p50: 1, p90: 1, p95: 1, p99: 1, max: 1 }, errorsByStatus: {}, achievedRate: 4, rateOffered: 4, dropped: 6, droppedPerSecond: [6, 0] };
    expect(checkEvidence(evidence, [availabilityDuringFault(0.5)]).rows[0]).toMatchObject({ pass: false, measured: '40.0 % of 10' });
  });
});
