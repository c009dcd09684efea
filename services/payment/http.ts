/** The payment API: where one order's payment stands (for people, `trace` and tests). */
import type { FastifyInstance } from 'fastify';
import { paymentFailureReasons } from '../events/index.js';
import { errorResponses, NotFoundError, type ServiceKit } from '../kit/index.js';
import { findPayment } from './store.js';

const paymentOut = {
  type: 'object',
  properties: {
    paymentId: { type: 'string', format: 'uuid' },
    orderId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['paid', 'failed'] },
    amountCents: { type: 'integer' },
    currency: { type: 'string' },
    paymentMethod: { type: 'string' },
    chargeId: { type: 'string', nullable: true, description: "the provider's charge (a declined charge has one too)" },
    attempts: { type: 'integer', description: 'calls to the provider it took, retries included' },
    reason: { type: 'string', nullable: true, enum: [...paymentFailureReasons, null] },
    detail: { type: 'string', nullable: true },
    eventId: { type: 'string', description: 'the OrderCreated event it answers' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export function registerRoutes(app: FastifyInstance, kit: ServiceKit): void {
  app.get<{ Params: { orderId: string } }>(
    '/payments/:orderId',
    {
      schema: {
        summary: "An order's payment",
        tags: ['payments'],
        params: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string', format: 'uuid' } } },
        response: { 200: { description: 'the payment', ...paymentOut }, ...errorResponses(400, 404, 500, 503) },
      },
    },
    async (request) => {
      const payment = await findPayment(kit.pool, request.params.orderId);
      if (!payment) throw new NotFoundError(`there is no payment for order ${request.params.orderId} (yet)`);
      return { ...payment, createdAt: payment.createdAt.toISOString() };
    },
  );
}
