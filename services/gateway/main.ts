/**
 * The gateway: the one public address of the shop. Routes the API to the order instances in
 * turn and to the frontend, serves the web shop through it, limits the request rate and answers
 * for upstreams that are down or slow. No database, no Kafka.
 */
import { z } from 'zod';
import { promClient, readEnv, runService, settingsOrExit } from '../kit/index.js';
import { createApiDocument } from './api-document.js';
import { registerRoutes } from './http.js';
import { createTokenBucket } from './token-bucket.js';
import { createUpstream } from './upstream.js';

/** The gateway's own settings, on top of the kit's (read before anything starts). */
const settings = settingsOrExit(() =>
  readEnv({
      /** Average requests per second the API accepts; 0 turns the limit off. */
      RATE_LIMIT_RPS: z.coerce.number().min(0).default(1500),
      /** Requests let through at once after a quiet spell. */
      RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(500),
      /**
       * Requests in flight per upstream instance before the gateway answers 429, so that an
       * overloaded instance sheds load instead of letting every request slow. In flight = rate ×
       * latency (Little's law): 96 is about 140 ms of work at the 700 orders/s an order instance
       * serves on two cores — room for a healthy instance's pauses (a garbage collection, a large
       * consumer batch), which at 48 were shed as 429s from 600/s on (docs/performance.md).
       */
      MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(96),
      /** How long an upstream may take to connect, to answer, and between body chunks. */
      UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
    }),
);

await runService({
  needs: { calls: [{ service: 'order', many: true }, { service: 'frontend' }] },
  title: 'pizza-lab gateway',
  description: 'Routes the public API and the web shop; the API document is at /api/openapi.json.',
  async start(kit, app) {
    const registers = [kit.metrics.registry];
    const requests = new promClient.Counter({
      name: 'gateway_upstream_requests_total',
      help: 'Requests sent upstream, by upstream instance and outcome: the HTTP status, or refused, reset, timeout, bad',
      labelNames: ['upstream', 'status'] as const,
      registers,
    });
    const rateLimited = new promClient.Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests answered 429 by the gateway: over the rate limit (rate) or over the in-flight cap (in-flight)',
      labelNames: ['reason'] as const,
      registers,
    });

    const common = { timeoutMs: settings.UPSTREAM_TIMEOUT_MS, maxInFlight: settings.MAX_IN_FLIGHT, logger: kit.logger, requests };
    const order = createUpstream({ service: 'order', urls: kit.config.upstreams.order!, ...common });
    const frontend = createUpstream({ service: 'frontend', urls: kit.config.upstreams.frontend!, ...common });
    kit.onClose(() => Promise.all([order.close(), frontend.close()]).then(() => undefined));

    const rps = settings.RATE_LIMIT_RPS;
    registerRoutes(app, {
      order,
      frontend,
      limiter: rps > 0 ? createTokenBucket({ ratePerSecond: rps, burst: settings.RATE_LIMIT_BURST }) : undefined,
      ratePerSecond: rps,
      timeoutMs: settings.UPSTREAM_TIMEOUT_MS,
      apiDocument: createApiDocument([order, frontend]),
      rateLimited,
    });
    kit.logger.info({ order: kit.config.upstreams.order, frontend: kit.config.upstreams.frontend, rateLimitRps: rps, burst: settings.RATE_LIMIT_BURST, maxInFlight: settings.MAX_IN_FLIGHT }, 'routing');
  },
});
