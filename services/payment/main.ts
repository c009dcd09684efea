/** The payment service: charges each OrderCreated at the provider and says how it went. */
import { z } from 'zod';
import { TOPICS } from '../events/index.js';
import { CONSUMER_GROUPS, createBreaker, promClient, readEnv, runService, settingsOrExit, TransientError } from '../kit/index.js';
import { createOrderCreatedHandler } from './handlers.js';
import { registerRoutes } from './http.js';
import { createProviderClient } from './provider-client.js';

/** PROVIDER_TIMEOUT_MS: how long one charge call may take before its outcome counts as unknown (and is retried). */
const settings = settingsOrExit(() => readEnv({ PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(2000) }));

/**
 * Calls per event before it is dead-lettered. More than the breaker's threshold on purpose: a short
 * outage opens the breaker (pausing the partition) before it exhausts an event's attempts.
 */
const ATTEMPTS = 8;

await runService({
  needs: { kafka: true, postgres: true, calls: [{ service: 'payment-provider' }] },
  title: 'pizza-lab payment service',
  description: 'Charges each order at the payment provider (idempotently) and emits OrderPaid or PaymentFailed.',
  kitTables: ['outbox', 'inbox'],
  async start(kit, app) {
    const registers = [kit.metrics.registry];
    const metrics = {
      providerCalls: new promClient.Counter({ name: 'payment_provider_calls_total', help: 'Charge calls to the provider, by result: charged, declined, error, timeout, unreachable, refused, breaker-open (not made)', labelNames: ['result'] as const, registers }),
      providerCallDuration: new promClient.Histogram({ name: 'payment_provider_call_seconds', help: 'Duration of charge calls to the provider, timeouts included', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
      payments: new promClient.Counter({ name: 'saga_payments_total', help: 'Payments recorded, by status (paid, failed) and failure reason', labelNames: ['status', 'reason'] as const, registers }),
      attempts: new promClient.Histogram({ name: 'payment_attempts', help: 'Provider calls a recorded payment took, retries included', buckets: [1, 2, 3, 4, 5, 8, 13, 21], registers }),
    };

    const provider = createProviderClient({ baseUrl: kit.config.upstreams['payment-provider']![0]!, timeoutMs: settings.PROVIDER_TIMEOUT_MS });
    kit.onClose(() => provider.close());
    const breaker = createBreaker({
      name: 'payment-provider',
      failureThreshold: 5,
      openMs: 5000,
      // A decline is an answer, and a refused request is our fault: only "not now" counts against the provider.
      isFailure: (error) => error instanceof TransientError,
      metrics: kit.metrics,
      onStateChange: (state, previous) => kit.logger.warn({ breaker: 'payment-provider', state, previous }, `circuit breaker payment-provider ${state}`),
    });
    kit.addHealthCheck('payment-provider-breaker', async () => ({ info: breaker.state }));

    registerRoutes(app, kit);

    const group = CONSUMER_GROUPS.payment;
    await kit.consume({
      groupId: group,
      topics: [TOPICS.orderEvents],
      handles: ['OrderCreated'],
      attempts: ATTEMPTS,
      handleBatch: createOrderCreatedHandler({ kit, consumer: group, provider, breaker, metrics }),
    });
  },
});
