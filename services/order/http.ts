/**
 * The order API: place an order (validated, priced from the menu, written with its OrderCreated
 * event in one transaction), read one with its status history, list them.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createEvent, MAX_QUANTITY, newTraceparent, ORDER_STATES, PAYMENT_METHODS, traceIdOf, isTraceparent, type OrderItem, type OrderState } from '../events/index.js';
import { BadRequestError, errorResponses, groupCommit, NotFoundError, UnprocessableError, wakeRelay, type ServiceKit } from '../kit/index.js';
import type { MenuClient } from './menu-client.js';
import { findByIdempotencyKey, findOrder, history, insertOrders, listOrders, type HistoryRow, type NewOrder, type OrderRow } from './store.js';

const itemSchema = {
  type: 'object',
  required: ['pizzaId', 'quantity'],
  additionalProperties: false,
  properties: {
    pizzaId: { type: 'string', minLength: 1, maxLength: 64, description: 'a pizza id from GET /api/v1/menu' },
    quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY },
  },
} as const;

const createOrderBody = {
  type: 'object',
  required: ['items', 'deliveryAddress', 'paymentMethod'],
  additionalProperties: false,
  properties: {
    items: { type: 'array', minItems: 1, maxItems: 20, items: itemSchema },
    deliveryAddress: { type: 'string', minLength: 3, maxLength: 300 },
    paymentMethod: { type: 'string', enum: [...PAYMENT_METHODS], description: '`card-declined` is a test method the provider always declines' },
  },
} as const;

const orderItemOut = {
  type: 'object',
  properties: { pizzaId: { type: 'string' }, name: { type: 'string' }, quantity: { type: 'integer' }, unitPrice: { type: 'number' } },
} as const;

const historyOut = {
  type: 'object',
  properties: { status: { type: 'string', enum: [...ORDER_STATES] }, at: { type: 'string', format: 'date-time' }, reason: { type: 'string', nullable: true } },
} as const;

const orderOut = {
  type: 'object',
  properties: {
    orderId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: [...ORDER_STATES] },
    total: { type: 'number', description: 'in euros' },
    currency: { type: 'string' },
    items: { type: 'array', items: orderItemOut },
    deliveryAddress: { type: 'string' },
    paymentMethod: { type: 'string' },
    cancelReason: { type: 'string', nullable: true },
    traceId: { type: 'string', nullable: true },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    history: { type: 'array', items: historyOut },
    links: { type: 'object', properties: { self: { type: 'string' } } },
  },
} as const;

interface CreateOrderBody {
  items: { pizzaId: string; quantity: number }[];
  deliveryAddress: string;
  paymentMethod: string;
}

function present(order: OrderRow, steps?: HistoryRow[]) {
  return {
    orderId: order.id,
    status: order.status,
    total: order.totalCents / 100,
    currency: order.currency,
    items: order.items.map((i) => ({ pizzaId: i.pizzaId, name: i.name, quantity: i.quantity, unitPrice: i.unitPriceCents / 100 })),
    deliveryAddress: order.deliveryAddress,
    paymentMethod: order.paymentMethod,
    cancelReason: order.cancelReason,
    traceId: order.traceId,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    ...(steps ? { history: steps.map((h) => ({ status: h.status, at: h.at.toISOString(), reason: h.reason })) } : {}),
    links: { self: `/api/v1/orders/${order.id}` },
  };
}


export function registerRoutes(app: FastifyInstance, kit: ServiceKit, deps: { menu: MenuClient; onCreated: () => void }): void {
  const { pool, config } = kit;
  // Group commit: orders placed while a write is in flight go together in the next one.
  const insertOrder = groupCommit((orders: NewOrder[]) => insertOrders(pool, orders), { observe: (size) => kit.metrics.groupCommitSize.observe({ write: 'orders' }, size) });

  app.post<{ Body: CreateOrderBody; Headers: { 'idempotency-key'?: string; traceparent?: string } }>(
    '/api/v1/orders',
    {
      schema: {
        summary: 'Place an order',
        description: 'Validates the order, prices it from the menu and stores it with its OrderCreated event in one transaction (transactional outbox). Send an Idempotency-Key header to make retries safe.',
        tags: ['orders'],
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } } },
        body: createOrderBody,
        response: { 201: { description: 'the order was accepted and waits for payment', ...orderOut }, 200: { description: 'a replay: this Idempotency-Key already created this order', ...orderOut }, ...errorResponses(400, 413, 415, 422, 429, 500, 502, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const key = request.headers['idempotency-key'];
      const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      const replay = async (existing: OrderRow) => {
        if (existing.requestHash !== requestHash) throw new UnprocessableError('this Idempotency-Key was already used for a different order', { idempotencyKey: key, orderId: existing.id });
        return reply.status(200).header('idempotent-replayed', 'true').header('location', `/api/v1/orders/${existing.id}`).send(present(existing, await history(pool, existing.id)));
      };
      const traceparent = isTraceparent(request.headers.traceparent) ? request.headers.traceparent : newTraceparent();
      const items: OrderItem[] = [];
      try {
        for (const [index, line] of body.items.entries()) {
          const pizza = await deps.menu.find(line.pizzaId, traceparent);
          if (!pizza) throw new UnprocessableError(`items[${index}].pizzaId: there is no pizza "${line.pizzaId}" on the menu`, { field: `body.items[${index}].pizzaId`, pizzaId: line.pizzaId });
          items.push({ pizzaId: pizza.id, name: pizza.name, quantity: line.quantity, unitPriceCents: pizza.priceCents });
        }
        if (new Set(body.items.map((i) => i.pizzaId)).size !== body.items.length) throw new BadRequestError('each pizza may appear once in items; use quantity for more', { field: 'body.items' });
      } catch (error) {
        // A retry of an order accepted earlier is answered as its replay, even if the menu changed since.
        const existing = key ? await findByIdempotencyKey(pool, key) : undefined;
        if (existing) return replay(existing);
        throw error;
      }

      const orderId = randomUUID();
      const createdAt = new Date();
      const totalCents = items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
      const event = createEvent({
        type: 'OrderCreated',
        source: config.service,
        cause: traceparent,
        data: { orderId, items, totalCents, currency: 'EUR', deliveryAddress: body.deliveryAddress, paymentMethod: body.paymentMethod, createdAt: createdAt.toISOString() },
      });
      const row = { id: orderId, items, totalCents, currency: 'EUR', deliveryAddress: body.deliveryAddress, paymentMethod: body.paymentMethod, idempotencyKey: key ?? null, requestHash, traceId: traceIdOf(event.traceparent) ?? null, createdAt };
      if (!(await insertOrder({ order: row, created: event }))) {
        // This Idempotency-Key was used before (or by a concurrent request): answer as its replay.
        const existing = await findByIdempotencyKey(pool, key!);
        return replay(existing!);
      }
      // Committed with its OrderCreated (one statement, outside withTransaction): wake the relay here.
      wakeRelay(config.service);
      deps.onCreated();
      request.log.info({ orderId, traceId: row.traceId, totalCents }, 'order accepted');
      const order: OrderRow = { ...row, status: 'PENDING_PAYMENT', cancelReason: null, updatedAt: createdAt };
      return reply.status(201).header('location', `/api/v1/orders/${orderId}`).send(present(order, [{ status: 'PENDING_PAYMENT', reason: null, eventId: null, at: createdAt }]));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/orders/:id',
    {
      schema: {
        summary: 'An order, with its status history',
        tags: ['orders'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        response: { 200: { description: 'the order', ...orderOut }, ...errorResponses(400, 404, 429, 500, 502, 503) },
      },
    },
    async (request) => {
      const order = await findOrder(pool, request.params.id);
      if (!order) throw new NotFoundError(`there is no order ${request.params.id}`);
      return present(order, await history(pool, order.id));
    },
  );

  app.get<{ Querystring: { status?: OrderState; limit: number } }>(
    '/api/v1/orders',
    {
      schema: {
        summary: 'Recent orders, newest first',
        tags: ['orders'],
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: [...ORDER_STATES] }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } },
        response: {
          200: { description: 'the orders', type: 'object', properties: { orders: { type: 'array', items: orderOut }, count: { type: 'integer' } } },
          ...errorResponses(400, 429, 500, 502, 503),
        },
      },
    },
    async (request) => {
      const orders = await listOrders(pool, { status: request.query.status, limit: request.query.limit });
      return { orders: orders.map((o) => present(o)), count: orders.length };
    },
  );
}
