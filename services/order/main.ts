/** The order service: the public order API, the saga's state, and its outbox. */
import { TOPICS } from '../events/index.js';
import { CONSUMER_GROUPS, promClient, runService } from '../kit/index.js';
import { createPaymentHandler } from './handlers.js';
import { registerRoutes } from './http.js';
import { createMenuClient } from './menu-client.js';

await runService({
  needs: { kafka: true, postgres: true, calls: [{ service: 'frontend' }] },
  title: 'pizza-lab order API',
  description: 'Places orders and tells where each saga stands.',
  kitTables: ['outbox', 'inbox'],
  async start(kit, app) {
    const registers = [kit.metrics.registry];
    const created = new promClient.Counter({ name: 'saga_orders_created_total', help: 'Orders accepted by the API', registers });
    const completed = new promClient.Counter({ name: 'saga_orders_completed_total', help: 'Orders that reached a terminal state', labelNames: ['status'] as const, registers });
    const sagaDuration = new promClient.Histogram({
      name: 'saga_duration_seconds',
      help: 'From order created to terminal state (PAID or CANCELLED)',
      labelNames: ['status'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });

    const menu = createMenuClient({ baseUrls: kit.config.upstreams.frontend!, logger: kit.logger });
    registerRoutes(app, kit, { menu, onCreated: () => created.inc() });

    const group = CONSUMER_GROUPS.order;
    await kit.consume({
      groupId: group,
      topics: [TOPICS.paymentEvents],
      handles: ['OrderPaid', 'PaymentFailed'],
      handleBatch: createPaymentHandler(kit, group, ({ status, createdAt }) => {
        completed.inc({ status });
        sagaDuration.observe({ status }, (Date.now() - createdAt.getTime()) / 1000);
      }),
    });
  },
});
