/**
 * The payment step of the saga. An OrderCreated is charged at the provider, with the order id as
 * Idempotency-Key so that a retry (after a 5xx, a timeout, a crash) can never charge twice; the
 * outcome is recorded in ONE transaction with the inbox record and the OrderPaid or PaymentFailed
 * event in the outbox. Around the provider sits a circuit breaker: while it is open the partition
 * is paused instead of burning retries.
 */
import { randomUUID } from 'node:crypto';
import type { Counter, Histogram } from 'prom-client';
import { createEvent, PAYMENT_METHODS, type OrderCreated, type PaymentFailureReason, type SagaEvent } from '../events/index.js';
import { appendToOutbox, BreakerOpenError, claimEvents, PauseConsumption, ServiceError, withTransaction, type BatchResult, type Breaker, type HandlerContext, type ServiceKit } from '../kit/index.js';
import { PROVIDER_ERROR_CODES, type ChargeResult, type ProviderClient } from './provider-client.js';
import { insertPayments, priorHandling } from './store.js';

export interface PaymentMetrics {
  /** Provider calls by result: charged, declined, error, timeout, unreachable, refused, breaker-open. */
  providerCalls: Counter<'result'>;
  providerCallDuration: Histogram<string>;
  /** Payments recorded, by status and failure reason. */
  payments: Counter<'status' | 'reason'>;
  /** Provider calls each recorded payment took. */
  attempts: Histogram<string>;
}

export interface PaymentHandlerOptions {
  kit: ServiceKit;
  /** The consumer group, also the inbox's consumer name. */
  consumer: string;
  provider: ProviderClient;
  breaker: Breaker;
  metrics: PaymentMetrics;
}

type Outcome = { status: 'paid'; chargeId: string } | { status: 'failed'; reason: PaymentFailureReason; detail: string; chargeId: string | null };

const ACCEPTED_METHODS: readonly string[] = PAYMENT_METHODS;
/** Events whose provider calls are being counted at once; far more than can be in flight. */
const MAX_COUNTED = 10_000;

function resultOf(error: unknown): string {
  const code = (error as ServiceError).code;
  if (code === PROVIDER_ERROR_CODES.timeout) return 'timeout';
  if (code === PROVIDER_ERROR_CODES.unreachable) return 'unreachable';
  if (code === PROVIDER_ERROR_CODES.refused) return 'refused';
  return 'error';
}

export function createOrderCreatedHandler(options: PaymentHandlerOptions) {
  const { kit, consumer, provider, breaker, metrics } = options;
  // Provider calls per event by this instance, across retries and partition pauses (the
  // consumer's attempt counter restarts after a pause); forgotten once the outcome is recorded.
  const calls = new Map<string, number>();
  const countCall = (eventId: string) => {
    if (!calls.has(eventId) && calls.size >= MAX_COUNTED) calls.delete(calls.keys().next().value!);
    calls.set(eventId, (calls.get(eventId) ?? 0) + 1);
  };

  async function charge(event: SagaEvent<'OrderCreated'>): Promise<Outcome> {
    const order = event.data;
    if (!ACCEPTED_METHODS.includes(order.paymentMethod)) {
      // Nothing to ask the bank: the method is not one we take.
      return { status: 'failed', reason: 'invalid-payment-method', detail: `payment method "${order.paymentMethod}" is not accepted (accepted: ${ACCEPTED_METHODS.join(', ')}); the provider was not called`, chargeId: null };
    }
    let result: ChargeResult;
    try {
      result = await breaker.exec(async () => {
        countCall(event.id);
        const stopTimer = metrics.providerCallDuration.startTimer();
        try {
          return await provider.charge({ orderId: order.orderId, amountCents: order.totalCents, currency: order.currency, paymentMethod: order.paymentMethod, idempotencyKey: order.orderId, traceparent: event.traceparent });
        } finally {
          stopTimer();
        }
      });
    } catch (error) {
      if (error instanceof BreakerOpenError) {
        metrics.providerCalls.inc({ result: 'breaker-open' });
        throw new PauseConsumption(`the provider's circuit breaker is open: ${error.message}`, error.retryInMs);
      }
      metrics.providerCalls.inc({ result: resultOf(error) });
      // A TransientError is retried by the consumer with the same Idempotency-Key; anything else is dead-lettered.
      throw error;
    }
    metrics.providerCalls.inc({ result: result.outcome });
    if (result.outcome === 'charged') return { status: 'paid', chargeId: result.chargeId };
    return { status: 'failed', reason: 'declined', detail: result.message, chargeId: result.chargeId ?? null };
  }

  function outcomeEvent(event: SagaEvent<'OrderCreated'>, order: OrderCreated, paymentId: string, outcome: Outcome, attempts: number) {
    const common = { source: kit.config.service, cause: event.traceparent };
    if (outcome.status === 'paid') {
      return createEvent({ ...common, type: 'OrderPaid', data: { orderId: order.orderId, paymentId, amountCents: order.totalCents, currency: order.currency, chargeId: outcome.chargeId, attempts } });
    }
    return createEvent({ ...common, type: 'PaymentFailed', data: { orderId: order.orderId, paymentId, amountCents: order.totalCents, reason: outcome.reason, detail: outcome.detail, attempts } });
  }

  return async (batch: SagaEvent[], context: HandlerContext): Promise<BatchResult[]> => {
    const events = batch as SagaEvent<'OrderCreated'>[];
    const results: BatchResult[] = new Array(events.length);
    // Checked before the provider calls, so a redelivery costs no charge call.
    const prior = await priorHandling(kit.pool, consumer, events.map((e) => e.id), events.map((e) => e.data.orderId));
    const toCharge: number[] = [];
    events.forEach((event, i) => {
      if (prior.handled.has(event.id)) results[i] = 'duplicate';
      else if (prior.paid.has(event.data.orderId)) {
        context.logger.warn({ eventId: event.id, orderId: event.data.orderId, paymentStatus: prior.paid.get(event.data.orderId) }, 'the order already has a payment; this OrderCreated is ignored');
        results[i] = 'done';
      } else toCharge.push(i);
    });

    // Every charge of the batch at once; each one that fails is left to the consumer's retry loop.
    const charged = await Promise.all(
      toCharge.map(async (i) => {
        try {
          return { i, outcome: await charge(events[i]!) };
        } catch (error) {
          results[i] = error instanceof Error ? error : new Error(String(error));
          return undefined;
        }
      }),
    );
    const done = charged.filter((c): c is { i: number; outcome: Outcome } => c !== undefined);
    if (done.length === 0) return results;

    const recorded = await withTransaction(kit.pool, async (client) => {
      const fresh = await claimEvents(client, consumer, done.map((c) => events[c.i]!));
      const rows = done
        .filter((c) => fresh.has(events[c.i]!.id))
        .map((c) => {
          const event = events[c.i]!;
          const order = event.data;
          // An invalid method took no provider call; the event schema counts it as one attempt to pay.
          const attempts = Math.max(1, calls.get(event.id) ?? 0);
          return {
            event,
            attempts,
            outcome: c.outcome,
            row: {
              paymentId: randomUUID(),
              orderId: order.orderId,
              status: c.outcome.status,
              amountCents: order.totalCents,
              currency: order.currency,
              paymentMethod: order.paymentMethod,
              chargeId: c.outcome.chargeId,
              attempts,
              reason: c.outcome.status === 'failed' ? c.outcome.reason : null,
              detail: c.outcome.status === 'failed' ? c.outcome.detail : null,
              eventId: event.id,
            },
          };
        });
      const inserted = await insertPayments(
        client,
        rows.map((r) => r.row),
      );
      // A second copy of an order's OrderCreated (another event id) finds the payment there: its outcome stands.
      const recorded = rows.filter((r) => inserted.has(r.row.paymentId));
      await appendToOutbox(
        client,
        kit.config.service,
        recorded.map((r) => outcomeEvent(r.event, r.event.data, r.row.paymentId, r.outcome, r.attempts)),
      );
      for (const c of done) results[c.i] = fresh.has(events[c.i]!.id) ? 'done' : 'duplicate';
      return recorded;
    });
    for (const r of recorded) {
      calls.delete(r.event.id);
      metrics.payments.inc({ status: r.outcome.status, reason: r.outcome.status === 'failed' ? r.outcome.reason : '' });
      metrics.attempts.observe(r.attempts);
      context.logger.info({ orderId: r.row.orderId, status: r.outcome.status, chargeId: r.outcome.chargeId, attempts: r.attempts, ...(r.outcome.status === 'failed' ? { reason: r.outcome.reason } : {}) }, `payment ${r.outcome.status}`);
    }
    return results;
  };
}
