/**
 * The story of one order: every step of its saga from the services' own records and from Kafka,
 * on one timeline relative to the moment the order was accepted, with long gaps named (and
 * explained when the lab knows a service was down then) and missing steps flagged.
 */
import type pg from 'pg';
import type { OrderState } from '../../services/events/index.js';
import { LabError } from '../lib/errors.js';
import { schemaOf, type StackPlan } from '../runtime/stack-spec.js';
import { readEvents } from './event-stream.js';
import { describeEvent, euros, serviceOf } from './format.js';

export interface TraceStep {
  at: number;
  offsetMs: number;
  service: string;
  what: string;
  source: 'database' | 'kafka';
}

export interface TraceGap {
  afterStep: number;
  ms: number;
  waitingFor: string;
  explanation?: string;
}

export interface OrderTrace {
  orderId: string;
  status: OrderState;
  traceId: string | null;
  cancelReason: string | null;
  steps: TraceStep[];
  gaps: TraceGap[];
  missing: string[];
}

/** What the lab recorded about its members (the supervisor's events), for explaining gaps. */
export interface MemberEvent {
  time: string;
  member: string;
  message: string;
}

const GAP_MS = 1000;

/** Finds an order by id or by a prefix of at least 8 characters. */
export async function resolveOrderId(db: pg.Pool, text: string): Promise<string> {
  if (!/^[0-9a-f-]{8,36}$/i.test(text)) throw new LabError(`"${text}" is not an order id`, { hint: 'give the id `pizza-lab order` printed (8 characters are enough)' });
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM ${schemaOf('order')}.orders WHERE id::text LIKE $1 LIMIT 5`, [`${text.toLowerCase()}%`]);
  if (rows.length === 0) throw new LabError(`no order ${text}`, { hint: 'recent ones: `pizza-lab tail events --type OrderCreated --since 10m`; or place one with `pizza-lab order`' });
  if (rows.length > 1) throw new LabError(`"${text}" matches ${rows.length} orders: ${rows.map((r) => r.id.slice(0, 13)).join(', ')}`, { hint: 'give more characters' });
  return rows[0]!.id;
}

export async function traceOrder(plan: StackPlan, db: pg.Pool, orderId: string, memberEvents: readonly MemberEvent[] = []): Promise<OrderTrace> {
  const order = (
    await db.query<{ status: OrderState; created_at: Date; trace_id: string | null; cancel_reason: string | null }>(`SELECT status, created_at, trace_id, cancel_reason FROM ${schemaOf('order')}.orders WHERE id = $1`, [orderId])
  ).rows[0];
  if (!order) throw new LabError(`no order ${orderId}`);
  const t0 = order.created_at.getTime();
  const steps: Omit<TraceStep, 'offsetMs'>[] = [{ at: t0, service: 'order', what: 'accepted the order (POST /api/v1/orders) and wrote OrderCreated to its outbox', source: 'database' }];

  const q = <T extends pg.QueryResultRow>(sql: string) => db.query<T>(sql, [orderId]).then((r) => r.rows).catch(() => [] as T[]);
  const [history, charges, payments, notifications, deadLetters, ...inboxes] = await Promise.all([
    q<{ status: string; reason: string | null; at: Date }>(`SELECT status, reason, at FROM ${schemaOf('order')}.order_status_history WHERE order_id = $1 ORDER BY id`),
    q<{ status: string; id: string; created_at: Date; amount_cents: number }>(`SELECT status, id, created_at, amount_cents FROM ${schemaOf('payment-provider')}.charges WHERE order_id = $1 ORDER BY created_at`),
    q<{ status: string; attempts: number; created_at: Date; reason: string | null }>(`SELECT status, attempts, created_at, reason FROM ${schemaOf('payment')}.payments WHERE order_id = $1`),
    q<{ kind: string; subject: string; sent_at: Date }>(`SELECT kind, subject, sent_at FROM ${schemaOf('notification')}.notifications WHERE order_id = $1 ORDER BY sent_at`),
    q<{ consumer: string; error_kind: string; error_message: string; dead_lettered_at: Date; status: string }>(`SELECT consumer, error_kind, error_message, dead_lettered_at, status FROM ${schemaOf('dlq')}.dead_letters WHERE origin_key = $1 ORDER BY dead_lettered_at`),
    ...['order', 'payment', 'notification'].map((service) =>
      q<{ consumer: string; event_type: string; received_at: Date }>(`SELECT consumer, event_type, received_at FROM ${schemaOf(service)}.inbox WHERE order_id = $1 ORDER BY received_at`).then((rows) => rows.map((r) => ({ ...r, service }))),
    ),
  ]);

  for (const h of history.slice(1)) steps.push({ at: h.at.getTime(), service: 'order', what: `order is ${h.status}${h.reason ? ` (${h.reason})` : ''}`, source: 'database' });
  for (const c of charges) steps.push({ at: c.created_at.getTime(), service: 'payment-provider', what: `charge ${c.id} ${c.status} (${euros(c.amount_cents)})`, source: 'database' });
  for (const p of payments) steps.push({ at: p.created_at.getTime(), service: 'payment', what: `payment recorded: ${p.status}${p.reason ? ` (${p.reason})` : ''} after ${p.attempts} provider call${p.attempts === 1 ? '' : 's'}`, source: 'database' });
  for (const n of notifications) steps.push({ at: n.sent_at.getTime(), service: 'notification', what: `email "${n.kind}": ${n.subject}`, source: 'database' });
  for (const d of deadLetters) steps.push({ at: d.dead_lettered_at.getTime(), service: 'dlq', what: `dead letter from ${d.consumer}: ${d.error_kind} — ${d.error_message} (${d.status})`, source: 'database' });
  // The inbox says when a service handled an event; shown only when no effect of it says so already.
  for (const inbox of inboxes) {
    for (const r of inbox) {
      const at = r.received_at.getTime();
      if (!steps.some((s) => s.service === r.service && Math.abs(s.at - at) <= 5)) steps.push({ at, service: r.service, what: `handled ${r.event_type}`, source: 'database' });
    }
  }

  const records = await readEvents(plan.endpoints.kafka, { kind: 'time', at: t0 - 2000 }, (r) => r.event?.subject === orderId && r.event.type !== 'DeadLettered');
  for (const r of records) steps.push({ at: r.timestamp, service: serviceOf(r.event!), what: `${r.event!.type} on ${r.topic}: ${describeEvent(r.event!)}`, source: 'kafka' });

  steps.sort((a, b) => a.at - b.at);
  const timeline = steps.map((s) => ({ ...s, offsetMs: s.at - t0 }));

  const gaps: TraceGap[] = [];
  for (let i = 1; i < timeline.length; i++) {
    const ms = timeline[i]!.at - timeline[i - 1]!.at;
    if (ms < GAP_MS) continue;
    // The provider only answers the payment service: a wait for a charge is a wait for payment.
    const waitingFor = timeline[i]!.service === 'payment-provider' ? 'payment' : timeline[i]!.service;
    const isInstance = (member: string) => member === waitingFor || new RegExp(`^${waitingFor}-\\d+$`).test(member);
    const during = memberEvents.filter((e) => {
      const t = Date.parse(e.time);
      return isInstance(e.member) && t >= timeline[i - 1]!.at - 60_000 && t <= timeline[i]!.at;
    });
    const down = during.find((e) => /died|killed|stopped|exited|paused|SIG/.test(e.message));
    gaps.push({ afterStep: i - 1, ms, waitingFor, explanation: down ? `${waitingFor} was down (${down.message})` : undefined });
  }

  const types = new Set(records.map((r) => r.event!.type));
  const kinds = new Set(notifications.map((n) => n.kind));
  const missing: string[] = [];
  if (!types.has('OrderCreated')) missing.push('OrderCreated on order-events (is the order service’s outbox relay publishing? is Kafka up?)');
  if (order.status === 'PENDING_PAYMENT' && !types.has('OrderPaid') && !types.has('PaymentFailed')) missing.push('a payment outcome (OrderPaid or PaymentFailed): is the payment service running and reaching the provider?');
  if (order.status === 'PAID' && !kinds.has('order-paid')) missing.push('the "order-paid" email');
  if (order.status === 'CANCELLED' && !types.has('OrderCancelled')) missing.push('OrderCancelled on order-events');
  if (order.status === 'CANCELLED' && !kinds.has('order-cancelled')) missing.push('the "order-cancelled" email');
  if (!kinds.has('order-received')) missing.push('the "order-received" email');

  return { orderId, status: order.status, traceId: order.trace_id, cancelReason: order.cancel_reason, steps: timeline, gaps, missing };
}
