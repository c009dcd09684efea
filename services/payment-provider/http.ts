/**
 * The bank mock's API. POST /charges is idempotent on its Idempotency-Key: the first call decides
 * and records the outcome (a decline too), and every later call with that key gets the same
 * answer. GET/PUT /control set how the bank misbehaves; that affects POST /charges only, so the
 * GET routes keep answering, whatever the mode, for tests and the checker.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PAYMENT_METHODS, randomHex } from '../events/index.js';
import { errorResponses, forOrder, groupCommit, NotFoundError, sleep, UnprocessableError, promClient, type ServiceKit } from '../kit/index.js';
import { DECLINE_REASONS, decide, PROVIDER_MODES, toBehaviour, type Behaviour, type BehaviourInput } from './behaviour.js';
import { findByIdempotencyKey, findCharge, insertCharges, listCharges, type ChargeRow, type ChargeStatus, type NewCharge } from './store.js';

const chargeBody = {
  type: 'object',
  required: ['orderId', 'amountCents', 'currency', 'paymentMethod'],
  additionalProperties: false,
  properties: {
    orderId: { type: 'string', format: 'uuid' },
    amountCents: { type: 'integer', minimum: 0, maximum: 100_000_000 },
    currency: { type: 'string', enum: ['EUR'] },
    paymentMethod: { type: 'string', enum: [...PAYMENT_METHODS], description: '`card-declined` is always declined' },
  },
} as const;

const chargeOut = {
  type: 'object',
  properties: {
    chargeId: { type: 'string' },
    orderId: { type: 'string', format: 'uuid' },
    amountCents: { type: 'integer' },
    currency: { type: 'string' },
    paymentMethod: { type: 'string' },
    status: { type: 'string', enum: ['succeeded', 'declined'] },
    declineReason: { type: 'string', nullable: true },
    idempotencyKey: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

const declinedOut = {
  description: 'the charge was declined (recorded: the same key always gets this answer)',
  type: 'object',
  required: ['error', 'message', 'details'],
  properties: {
    error: { type: 'string', enum: ['declined'] },
    message: { type: 'string' },
    details: { type: 'object', properties: { chargeId: { type: 'string' }, reason: { type: 'string', enum: [...DECLINE_REASONS] } } },
  },
} as const;

const controlBody = {
  type: 'object',
  required: ['mode'],
  additionalProperties: false,
  properties: {
    mode: { type: 'string', enum: [...PROVIDER_MODES], description: 'ok | decline (a fraction of charges) | errors (500/503 for a fraction of calls, nothing charged) | slow (charge, then answer late) | down (503 at once)' },
    rate: { type: 'number', minimum: 0, maximum: 1, description: 'decline and errors: the fraction of calls affected (default 1)' },
    latencyMs: { type: 'integer', minimum: 0, maximum: 120_000, description: 'slow: how long to wait before answering (default 3000)' },
  },
} as const;

const controlOut = {
  type: 'object',
  properties: { mode: { type: 'string', enum: [...PROVIDER_MODES] }, rate: { type: 'number' }, latencyMs: { type: 'integer' } },
} as const;

interface ChargeBody {
  orderId: string;
  amountCents: number;
  currency: 'EUR';
  paymentMethod: string;
}

function present(charge: ChargeRow) {
  return {
    chargeId: charge.chargeId,
    orderId: charge.orderId,
    amountCents: charge.amountCents,
    currency: charge.currency,
    paymentMethod: charge.paymentMethod,
    status: charge.status,
    declineReason: charge.declineReason,
    idempotencyKey: charge.idempotencyKey,
    createdAt: charge.createdAt.toISOString(),
  };
}

function declined(charge: ChargeRow) {
  return { error: 'declined', message: `the charge was declined: ${charge.declineReason}`, details: { chargeId: charge.chargeId, reason: charge.declineReason } };
}


export function registerRoutes(app: FastifyInstance, kit: ServiceKit): void {
  const { pool } = kit;
  const charges = new promClient.Counter({
    name: 'provider_charges_total',
    help: 'POST /charges answers, by outcome: succeeded, declined, replayed (a known key), error (injected 5xx or down)',
    labelNames: ['outcome'] as const,
    registers: [kit.metrics.registry],
  });
  let behaviour: Behaviour = { mode: 'ok' };
  // Group commit: charges asked for while a write is in flight go together in the next one.
  const insertCharge = groupCommit((batch: NewCharge[]) => insertCharges(pool, batch), { observe: (size) => kit.metrics.groupCommitSize.observe({ write: 'charges' }, size) });

  app.post<{ Body: ChargeBody; Headers: { 'idempotency-key': string; traceparent?: string } }>(
    '/charges',
    {
      schema: {
        summary: 'Charge an order',
        description:
          'Idempotent on the Idempotency-Key header: the first call decides and records the outcome; a later call with the same key and body gets the same answer (200 with header `idempotent-replayed: true` for a success, the same 402 for a decline); the same key with another body is refused (422). Payment method `card-declined` is always declined.',
        tags: ['charges'],
        headers: { type: 'object', required: ['idempotency-key'], properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } } },
        body: chargeBody,
        response: {
          201: { description: 'charged', ...chargeOut },
          200: { description: 'a replay: this Idempotency-Key was already charged (header idempotent-replayed: true)', ...chargeOut },
          402: declinedOut,
          ...errorResponses(400, 413, 415, 422, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const decision = decide(behaviour, body.paymentMethod);
      if (decision.action === 'fail') {
        charges.inc({ outcome: 'error' });
        const message = behaviour.mode === 'down' ? 'the provider is down' : `the provider failed (injected ${decision.status})`;
        if (decision.status === 503) reply.header('retry-after', '1');
        return reply.status(decision.status).send({ error: decision.status === 500 ? 'internal' : 'unavailable', message });
      }

      const key = request.headers['idempotency-key'];
      const requestHash = createHash('sha256').update(JSON.stringify([body.orderId, body.amountCents, body.currency, body.paymentMethod])).digest('hex');
      const inserted = await insertCharge({
        chargeId: `ch_${randomHex(12)}`,
        idempotencyKey: key,
        requestHash,
        orderId: body.orderId,
        amountCents: body.amountCents,
        currency: body.currency,
        paymentMethod: body.paymentMethod,
        status: decision.declineReason ? 'declined' : 'succeeded',
        declineReason: decision.declineReason,
      });
      // Not inserted: the key was known (or a concurrent call with it won the race): replay it.
      const charge = inserted ?? (await findByIdempotencyKey(pool, key));
      if (!charge) throw new Error(`charge with Idempotency-Key ${key} vanished`);
      const replayed = inserted === undefined;
      if (replayed && charge.requestHash !== requestHash) {
        throw new UnprocessableError('this Idempotency-Key was already used for a different charge', { idempotencyKey: key, chargeId: charge.chargeId });
      }

      charges.inc({ outcome: replayed ? 'replayed' : charge.status });
      if (replayed || charge.status === 'declined') {
        forOrder(kit.logger, charge.orderId, request.headers.traceparent).info({ chargeId: charge.chargeId, status: charge.status, replayed }, replayed ? 'charge replayed' : 'charge declined');
      }
      // Slow mode: the charge is made; only the answer is late.
      if (decision.delayMs > 0) await sleep(decision.delayMs);
      if (replayed) reply.header('idempotent-replayed', 'true');
      if (charge.status === 'declined') return reply.status(402).send(declined(charge));
      return reply.status(replayed ? 200 : 201).send(present(charge));
    },
  );

  app.get<{ Querystring: { orderId?: string; status?: ChargeStatus; limit: number } }>(
    '/charges',
    {
      schema: {
        summary: 'Charges, oldest first (declined ones included)',
        tags: ['charges'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            orderId: { type: 'string', format: 'uuid' },
            status: { type: 'string', enum: ['succeeded', 'declined'] },
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
          },
        },
        response: { 200: { description: 'the charges', type: 'object', properties: { charges: { type: 'array', items: chargeOut }, count: { type: 'integer' } } }, ...errorResponses(400, 500, 503) },
      },
    },
    async (request) => {
      const rows = await listCharges(pool, request.query);
      return { charges: rows.map(present), count: rows.length };
    },
  );

  app.get<{ Params: { chargeId: string } }>(
    '/charges/:chargeId',
    {
      schema: {
        summary: 'One charge',
        tags: ['charges'],
        params: { type: 'object', required: ['chargeId'], properties: { chargeId: { type: 'string', minLength: 1, maxLength: 100 } } },
        response: { 200: { description: 'the charge', ...chargeOut }, ...errorResponses(400, 404, 500, 503) },
      },
    },
    async (request) => {
      const charge = await findCharge(pool, request.params.chargeId);
      if (!charge) throw new NotFoundError(`there is no charge ${request.params.chargeId}`);
      return present(charge);
    },
  );

  const controlRoute = { tags: ['control'], response: { 200: { description: 'the behaviour now in force', ...controlOut }, ...errorResponses(400, 413, 415, 500) } };

  app.get('/control', { schema: { summary: 'How the provider behaves now', ...controlRoute } }, async () => behaviour);

  app.put<{ Body: BehaviourInput }>(
    '/control',
    {
      schema: {
        summary: 'Set how the provider behaves',
        description: 'Fields that do not apply to the mode are ignored; the answer shows the behaviour in force.',
        body: controlBody,
        ...controlRoute,
      },
    },
    async (request) => {
      const previous = behaviour;
      behaviour = toBehaviour(request.body);
      request.log.info({ behaviour, previous }, `provider behaviour set to ${behaviour.mode}`);
      return behaviour;
    },
  );
}

