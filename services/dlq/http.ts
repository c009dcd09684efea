/**
 * The dlq API (not public: `pizza-lab dlq list/replay` calls it on the instance's own port):
 * list the dead letters, read one, replay some or all of them.
 */
import type { FastifyInstance } from 'fastify';
import { deadLetterKinds } from '../events/index.js';
import { BadRequestError, errorResponses, NotFoundError, type ServiceKit } from '../kit/index.js';
import type { Replayer, ReplayRequest } from './replay.js';
import { findDeadLetter, listDeadLetters, type DeadLetterStatus, type StoredDeadLetter } from './store.js';

const deadLetterOut = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'the DeadLettered event id' },
    origin: {
      type: 'object',
      description: 'the record that could not be processed, as it was',
      properties: {
        topic: { type: 'string' },
        partition: { type: 'integer' },
        offset: { type: 'string' },
        key: { type: 'string', nullable: true, description: 'the order id' },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        value: { type: 'string', nullable: true },
        valueEncoding: { type: 'string', enum: ['utf8', 'base64'] },
      },
    },
    consumer: { type: 'string', description: 'the consumer group that gave up on it' },
    error: { type: 'object', properties: { kind: { type: 'string', enum: [...deadLetterKinds] }, message: { type: 'string' } } },
    attempts: { type: 'integer', description: 'handler attempts made (0: it could not even be decoded)' },
    deadLetteredAt: { type: 'string', format: 'date-time' },
    traceId: { type: 'string', nullable: true },
    status: { type: 'string', enum: ['stored', 'replayed'] },
    storedAt: { type: 'string', format: 'date-time' },
    replayedAt: { type: 'string', format: 'date-time', nullable: true },
    replayCount: { type: 'integer' },
  },
} as const;

const replayedOut = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    topic: { type: 'string', description: 'where it was sent again' },
    partition: { type: 'integer', description: 'its original partition' },
    offset: { type: 'string', description: 'its original offset' },
    key: { type: 'string', nullable: true },
    replayedAt: { type: 'string', format: 'date-time' },
    replayCount: { type: 'integer' },
    errorKind: { type: 'string', enum: [...deadLetterKinds], description: 'why it was dead-lettered; a malformed, unknown-type or invalid record, replayed as it was, is dead-lettered again' },
  },
} as const;

function present(letter: StoredDeadLetter) {
  return {
    ...letter,
    deadLetteredAt: letter.deadLetteredAt.toISOString(),
    storedAt: letter.storedAt.toISOString(),
    replayedAt: letter.replayedAt?.toISOString() ?? null,
  };
}


export function registerRoutes(app: FastifyInstance, kit: ServiceKit, replayer: Replayer): void {
  const { pool } = kit;

  app.get<{ Querystring: { status: DeadLetterStatus | 'all'; limit: number } }>(
    '/dead-letters',
    {
      schema: {
        summary: 'Dead letters, latest first',
        tags: ['dead letters'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['stored', 'replayed', 'all'], default: 'all', description: 'stored: waiting to be replayed' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
          },
        },
        response: {
          200: {
            description: 'the dead letters',
            type: 'object',
            properties: { deadLetters: { type: 'array', items: deadLetterOut }, count: { type: 'integer', description: 'how many are in this answer' }, total: { type: 'integer', description: 'how many match the status in all' } },
          },
          ...errorResponses(400, 500, 503),
        },
      },
    },
    async (request) => {
      const { status, limit } = request.query;
      const { deadLetters, total } = await listDeadLetters(pool, { status: status === 'all' ? undefined : status, limit });
      return { deadLetters: deadLetters.map(present), count: deadLetters.length, total };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/dead-letters/:id',
    {
      schema: {
        summary: 'One dead letter, with its original record',
        tags: ['dead letters'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: { 200: { description: 'the dead letter', ...deadLetterOut }, ...errorResponses(400, 404, 500, 503) },
      },
    },
    async (request) => {
      const letter = await findDeadLetter(pool, request.params.id);
      if (!letter) throw new NotFoundError(`there is no dead letter ${request.params.id}`);
      return present(letter);
    },
  );

  app.post<{ Body: ReplayRequest }>(
    '/dead-letters/replay',
    {
      schema: {
        summary: 'Replay dead letters',
        description:
          'Produces each original record again to its original topic, with its key, value and headers plus `x-replayed-from: <dead-letter id>` and `x-replay-for: <the consumer groups that dead-lettered it>` (other groups pass it by), and marks it replayed. Send `ids` (full ids or unambiguous prefixes; replayed ones are replayed again) or `all: true` (every stored one).',
        tags: ['dead letters'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ids: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', minLength: 4, maxLength: 200 } },
            all: { type: 'boolean' },
          },
        },
        response: {
          200: {
            description: 'what was replayed',
            type: 'object',
            properties: {
              replayed: { type: 'array', items: replayedOut },
              count: { type: 'integer' },
              skipped: { type: 'array', description: 'with all: the stored ones that could not be replayed, and why', items: { type: 'object', properties: { id: { type: 'string' }, reason: { type: 'string' } } } },
            },
          },
          ...errorResponses(400, 404, 409, 413, 415, 500, 503),
        },
      },
    },
    async (request) => {
      const { ids, all } = request.body;
      if (Boolean(ids) === Boolean(all)) throw new BadRequestError('send either ids (a list of dead-letter ids) or all: true');
      const result = await replayer.replay({ ids, all });
      return { replayed: result.replayed.map((r) => ({ ...r, replayedAt: r.replayedAt.toISOString() })), count: result.replayed.length, skipped: result.skipped };
    },
  );
}
