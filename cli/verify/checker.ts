/**
 * The checker, in the spirit of Jepsen: it trusts nothing the system says about itself and
 * compares three independent records — what clients were told (the ledger), what services
 * stored (their tables), what they told each other (the events on Kafka). Every figure goes to
 * the journal; each expectation of a scenario becomes a verdict row that can fail.
 */
import { LEGAL_SEQUENCES, TERMINAL_STATES, type EventType } from '../../services/events/index.js';
import type { Expectation } from '../../scenarios/dsl.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import type { Evidence, OrderRecord } from './evidence.js';

export interface Figures {
  accepted: number;
  unknownAnswers: number;
  lost: string[];
  notTerminal: string[];
  paid: number;
  cancelled: number;
  doubleCharged: string[];
  chargedButCancelled: string[];
  paidWithoutCharge: string[];
  missingFinalNotification: string[];
  extraNotifications: string[];
  illegalSequences: { orderId: string; sequence: string[] }[];
  duplicateEffects: { orderId: string; what: string }[];
  deadLetters: { total: number; poison: number; replayed: number; unaccounted: string[] };
  recoveryMs?: number;
  availabilityDuringFault?: number;
  requestsDuringFault: number;
  sagaLatencyMs: { p50: number; p99: number; max: number };
}

export interface VerdictRow {
  expectation: string;
  measured: string;
  pass: boolean;
}

export interface Verdict {
  pass: boolean;
  rows: VerdictRow[];
  figures: Figures;
}

const isTerminal = (o: OrderRecord) => TERMINAL_STATES.includes(o.status);
/** Whether time t fell in a fault window (an open one lasts until the heal). */
const inFault = (evidence: Evidence, t: number) => evidence.faults.some((f) => t >= f.start && t <= (f.end ?? evidence.healedAt ?? Infinity));
/** The events of a legal sequence (NotificationSent and DeadLettered are not steps of the saga). */
const SAGA_STEPS: ReadonlySet<EventType> = new Set(LEGAL_SEQUENCES.flat());

/** The p-th percentile of sorted values (nearest rank); 0 when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Every figure the journal records, computed from the evidence alone. */
function computeFigures(evidence: Evidence): Figures {
  const ordersById = new Map(evidence.orders.map((o) => [o.id, o]));
  const ordersByKey = new Map(evidence.orders.filter((o) => o.idempotencyKey).map((o) => [o.idempotencyKey!, o]));

  // Accepted: the client was told 200/201. An unanswered request whose key the order service
  // knows was accepted too (the answer was lost, the order was not) and must complete like any other.
  const acceptedIds = new Set<string>();
  const lost: string[] = [];
  let unknownAnswers = 0;
  for (const entry of evidence.ledger) {
    if (entry.outcome === 'accepted') {
      if (entry.orderId && ordersById.has(entry.orderId)) acceptedIds.add(entry.orderId);
      else lost.push(entry.orderId ?? `key ${entry.key}`);
    } else if (entry.outcome === 'unknown') {
      unknownAnswers++;
      const known = ordersByKey.get(entry.key);
      if (known) acceptedIds.add(known.id);
    }
  }
  const accepted = [...acceptedIds].map((id) => ordersById.get(id)!);
  const notTerminal = accepted.filter((o) => !isTerminal(o)).map((o) => o.id);

  const charges = countBy(
    evidence.charges.filter((c) => c.status === 'succeeded'),
    (c) => c.orderId,
  );
  const doubleCharged: string[] = [];
  const chargedButCancelled: string[] = [];
  const paidWithoutCharge: string[] = [];
  for (const order of accepted) {
    const n = charges.get(order.id) ?? 0;
    if (n > 1) doubleCharged.push(order.id);
    if (order.status === 'CANCELLED' && n > 0) chargedButCancelled.push(order.id);
    if (order.status === 'PAID' && n === 0) paidWithoutCharge.push(order.id);
  }

  const finalKind = (o: OrderRecord) => (o.status === 'PAID' ? 'order-paid' : 'order-cancelled');
  const notificationCounts = countBy(evidence.notifications, (n) => `${n.orderId}|${n.kind}`);
  const missingFinalNotification = accepted.filter((o) => isTerminal(o) && !notificationCounts.get(`${o.id}|${finalKind(o)}`)).map((o) => o.id);
  const extraNotifications = [...notificationCounts].filter(([, n]) => n > 1).map(([k]) => k);

  // Events per order, each event id once (redelivery of the same event is allowed; a second
  // event of the same step with another id is a duplicate effect).
  const eventsByOrder = new Map<string, { id: string; type: EventType }[]>();
  for (const e of [...evidence.events].sort((a, b) => a.timestamp - b.timestamp)) {
    if (!e.orderId || !SAGA_STEPS.has(e.type)) continue;
    const list = eventsByOrder.get(e.orderId) ?? [];
    if (!list.some((x) => x.id === e.id)) list.push({ id: e.id, type: e.type });
    eventsByOrder.set(e.orderId, list);
  }
  const illegalSequences: Figures['illegalSequences'] = [];
  const duplicateEffects: Figures['duplicateEffects'] = [];
  for (const order of accepted) {
    const sequence = (eventsByOrder.get(order.id) ?? []).map((e) => e.type);
    for (const [type, n] of countBy(sequence, (t) => t)) if (n > 1) duplicateEffects.push({ orderId: order.id, what: `${n} distinct ${type} events` });
    const distinct = sequence.filter((t, i) => sequence.indexOf(t) === i);
    const legal = LEGAL_SEQUENCES.some((legalSeq) => legalSeq.length === distinct.length && legalSeq.every((t, i) => t === distinct[i]));
    const fitsState =
      order.status === 'PAID' ? distinct.includes('OrderPaid') && !distinct.includes('PaymentFailed') : order.status === 'CANCELLED' ? distinct.includes('PaymentFailed') && distinct.includes('OrderCancelled') : true;
    if (!legal || !fitsState) illegalSequences.push({ orderId: order.id, sequence });
  }
  for (const [orderId, n] of countBy(evidence.payments, (p) => p.orderId)) if (n > 1) duplicateEffects.push({ orderId, what: `${n} payment rows` });
  for (const key of extraNotifications) duplicateEffects.push({ orderId: key.split('|')[0]!, what: `notification ${key.split('|')[1]} sent more than once` });

  // Dead letters: poison is quarantined (stored is its right place); a real order's event must
  // have been re-driven, or the order it belongs to would be stuck.
  const poisonKinds = new Set(['malformed', 'unknown-type', 'invalid']);
  const poison = evidence.deadLetters.filter((d) => poisonKinds.has(d.errorKind)).length;
  const replayed = evidence.deadLetters.filter((d) => d.status === 'replayed').length;
  const unaccounted = evidence.deadLetters.filter((d) => !poisonKinds.has(d.errorKind) && d.status !== 'replayed').map((d) => d.id);
  const storedIds = new Set(evidence.deadLetters.map((d) => d.id));
  for (const e of evidence.events) if (e.type === 'DeadLettered' && !storedIds.has(e.id)) unaccounted.push(`${e.id} (on dlq-events, not stored)`);

  // Availability: the share of requests scheduled during a fault that were accepted.
  const duringFault = evidence.ledger.filter((e) => inFault(evidence, e.scheduledAt));
  const okDuringFault = duringFault.filter((e) => e.outcome === 'accepted').length;
  // Requests never sent because too many were outstanding failed too, just on the client's side.
  const droppedDuringFault = (evidence.load?.droppedPerSecond ?? []).reduce((n, dropped, second) => n + (inFault(evidence, evidence.startedAt + second * 1000 + 500) ? dropped : 0), 0);
  const requestsDuringFault = duringFault.length + droppedDuringFault;

  const sagaTimes = accepted.filter(isTerminal).map((o) => o.updatedAt - o.createdAt).sort((a, b) => a - b);
  return {
    accepted: accepted.length,
    unknownAnswers,
    lost,
    notTerminal,
    paid: accepted.filter((o) => o.status === 'PAID').length,
    cancelled: accepted.filter((o) => o.status === 'CANCELLED').length,
    doubleCharged,
    chargedButCancelled,
    paidWithoutCharge,
    missingFinalNotification,
    extraNotifications,
    illegalSequences,
    duplicateEffects,
    deadLetters: { total: evidence.deadLetters.length, poison, replayed, unaccounted },
    recoveryMs: recovery(evidence, accepted),
    availabilityDuringFault: requestsDuringFault > 0 ? okDuringFault / requestsDuringFault : undefined,
    requestsDuringFault,
    sagaLatencyMs: { p50: percentile(sagaTimes, 50), p99: percentile(sagaTimes, 99), max: sagaTimes.at(-1) ?? 0 },
  };
}

/**
 * Recovery: from the heal until the last order accepted before it became terminal (orders that
 * arrive after the heal are ordinary traffic, not backlog). Undefined when one never did.
 */
function recovery(evidence: Evidence, accepted: readonly OrderRecord[]): number | undefined {
  if (evidence.healedAt === undefined) return undefined;
  const backlog = accepted.filter((o) => o.createdAt <= evidence.healedAt!);
  if (backlog.some((o) => !isTerminal(o))) return undefined;
  return Math.max(0, ...backlog.map((o) => o.updatedAt - evidence.healedAt!));
}

const few = (ids: readonly string[]) => (ids.length === 0 ? '' : ` (${ids.slice(0, 3).map((id) => id.slice(0, 8)).join(', ')}${ids.length > 3 ? ', …' : ''})`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** One verdict row per expectation. */
export function judge(expectation: Expectation, f: Figures, evidence: Evidence): VerdictRow {
  switch (expectation.kind) {
    case 'no-lost-orders':
      return { expectation: 'no accepted order is lost', measured: `${f.lost.length} lost of ${f.accepted + f.lost.length} accepted${few(f.lost)}`, pass: f.lost.length === 0 };
    case 'all-terminal': {
      const within = parseDuration(expectation.within);
      const late = f.recoveryMs !== undefined && f.recoveryMs > within;
      return {
        expectation: `every order PAID or CANCELLED within ${expectation.within} once the faults (or the load) ended`,
        measured: f.notTerminal.length > 0 ? `${f.notTerminal.length} still pending${few(f.notTerminal)}` : `all ${f.accepted} terminal${f.recoveryMs !== undefined ? `, the last ${formatDuration(f.recoveryMs)} after` : ''}`,
        pass: f.notTerminal.length === 0 && !late,
      };
    }
    case 'charged-exactly-once': {
      const wrong = [...f.doubleCharged, ...f.chargedButCancelled, ...f.paidWithoutCharge];
      return {
        expectation: 'one charge per PAID order, none per CANCELLED',
        measured: `${f.paid} paid, ${f.cancelled} cancelled; ${f.doubleCharged.length} charged twice, ${f.chargedButCancelled.length} cancelled but charged, ${f.paidWithoutCharge.length} paid without a charge${few(wrong)}`,
        pass: wrong.length === 0,
      };
    }
    case 'one-final-notification':
      return { expectation: 'one final notification per terminal order', measured: `${f.missingFinalNotification.length} missing, ${f.extraNotifications.length} sent twice${few(f.missingFinalNotification)}`, pass: f.missingFinalNotification.length === 0 && f.extraNotifications.length === 0 };
    case 'legal-sequences':
      return {
        expectation: 'every order’s events in a legal order',
        measured: f.illegalSequences.length === 0 ? `all ${f.accepted} legal` : `${f.illegalSequences.length} illegal, e.g. ${f.illegalSequences[0]!.orderId.slice(0, 8)}: ${f.illegalSequences[0]!.sequence.join(' → ') || '(no events)'}`,
        pass: f.illegalSequences.length === 0,
      };
    case 'no-duplicate-effects':
      return { expectation: 'no effect happened twice', measured: f.duplicateEffects.length === 0 ? 'none' : `${f.duplicateEffects.length}, e.g. ${f.duplicateEffects[0]!.orderId.slice(0, 8)}: ${f.duplicateEffects[0]!.what}`, pass: f.duplicateEffects.length === 0 };
    case 'dead-letters-accounted':
      return { expectation: 'every dead letter stored, and re-driven unless it is poison', measured: `${f.deadLetters.total} dead letters: ${f.deadLetters.poison} poison, ${f.deadLetters.replayed} replayed, ${f.deadLetters.unaccounted.length} unaccounted`, pass: f.deadLetters.unaccounted.length === 0 };
    case 'dead-letters':
      return { expectation: `at least ${expectation.atLeast} record dead-lettered`, measured: `${f.deadLetters.total} dead-lettered`, pass: f.deadLetters.total >= expectation.atLeast };
    case 'recovered-within': {
      const within = parseDuration(expectation.within);
      return { expectation: `backlog terminal within ${expectation.within} of the heal`, measured: f.recoveryMs === undefined ? 'never settled' : formatDuration(f.recoveryMs), pass: f.recoveryMs !== undefined && f.recoveryMs <= within };
    }
    case 'availability-during-fault':
      return {
        expectation: `at least ${pct(expectation.atLeast)} of orders accepted during the fault`,
        measured: f.availabilityDuringFault === undefined ? 'no request during a fault' : `${pct(f.availabilityDuringFault)} of ${f.requestsDuringFault}`,
        pass: f.availabilityDuringFault !== undefined && f.availabilityDuringFault >= expectation.atLeast,
      };
    case 'latency': {
      const key = `p${expectation.percentile}` as 'p50' | 'p90' | 'p95' | 'p99';
      const measured = evidence.load?.latencyMs[key];
      return { expectation: `POST /orders ${key} below ${expectation.below}`, measured: measured === undefined ? 'no load' : formatDuration(measured), pass: measured !== undefined && measured < parseDuration(expectation.below) };
    }
    case 'shed-load': {
      const shed = expectation.statuses.reduce((n, s) => n + (evidence.load?.errorsByStatus[String(s)] ?? 0), 0);
      const crashed = Object.entries(evidence.load?.errorsByStatus ?? {})
        .filter(([s]) => !expectation.statuses.map(String).includes(s))
        .reduce((n, [, c]) => n + c, 0);
      return { expectation: `overload shed with ${expectation.statuses.join('/')}, not failures`, measured: `${shed} shed, ${crashed} other errors`, pass: shed > 0 && crashed <= shed * 0.05 };
    }
    case 'fails-fast': {
      const refused = evidence.ledger.filter((e) => inFault(evidence, e.scheduledAt) && e.outcome !== 'accepted');
      const slow = refused.filter((e) => e.finishedAt === undefined || e.finishedAt - e.scheduledAt > parseDuration(expectation.within));
      const other = refused.filter((e) => e.status !== expectation.status);
      return {
        expectation: `requests refused during the fault get ${expectation.status} within ${expectation.within}`,
        measured: refused.length === 0 ? 'nothing was refused' : `${refused.length} refused: ${refused.length - other.length} with ${expectation.status}, ${slow.length} slower than ${expectation.within}`,
        pass: refused.length > 0 && other.length === 0 && slow.length === 0,
      };
    }
    case 'partition-without-leader-recorded': {
      const ms = evidence.extra.leaderlessMs;
      return { expectation: 'time without a partition leader recorded', measured: ms === undefined ? 'not recorded' : formatDuration(ms), pass: ms !== undefined };
    }
    case 'highest-sustainable-rate-recorded': {
      const rate = evidence.extra.highestSustainableRate;
      return { expectation: 'highest sustainable rate found', measured: rate === undefined ? 'not found' : `${rate} orders/s`, pass: rate !== undefined && rate > 0 };
    }
  }
}

export function checkEvidence(evidence: Evidence, expectations: readonly Expectation[]): Verdict {
  const figures = computeFigures(evidence);
  const rows = expectations.map((e) => judge(e, figures, evidence));
  return { pass: rows.every((r) => r.pass), rows, figures };
}
