/**
 * The gateway's routes: `/api/v1/orders*` to the order instances in turn, `/api/v1/menu` and
 * everything else (the web shop) to the frontend, `/api/openapi.json` merged here. The API is
 * rate limited; bodies are relayed as bytes, never parsed, and capped at 16 KiB before they are
 * forwarded. Every answer the gateway gives itself is `{error, message, details}` JSON.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, onRequestHookHandler } from 'fastify';
import { isTraceparent, newTraceparent } from '../events/index.js';
import type { promClient } from '../kit/index.js';
import type { ApiDocument } from './api-document.js';
import type { TokenBucket } from './token-bucket.js';
import { UpstreamError, type Upstream, type UpstreamAnswer } from './upstream.js';

export interface GatewayRoutesOptions {
  order: Upstream;
  frontend: Upstream;
  /** Absent: no rate limit. */
  limiter: TokenBucket | undefined;
  ratePerSecond: number;
  timeoutMs: number;
  apiDocument: ApiDocument;
  /** gateway_rate_limited_total{reason}. */
  rateLimited: promClient.Counter<'reason'>;
}

/** Request headers passed upstream; hop-by-hop and the rest stay here. */
const REQUEST_HEADERS = ['content-type', 'idempotency-key', 'traceparent', 'tracestate', 'accept', 'if-none-match', 'if-modified-since'] as const;
/** Answer headers passed back to the client. */
const ANSWER_HEADERS = ['content-type', 'location', 'idempotent-replayed', 'retry-after', 'cache-control', 'etag', 'last-modified'] as const;
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const RETRY_AFTER_SECONDS = 1;

function upstreamHeaders(request: FastifyRequest, traced: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  // One trace per order starts here when the client did not start it.
  if (traced && !isTraceparent(headers.traceparent)) headers.traceparent = newTraceparent();
  return headers;
}

function relay(reply: FastifyReply, answer: UpstreamAnswer): FastifyReply {
  for (const name of ANSWER_HEADERS) {
    const value = answer.headers[name];
    if (value !== undefined) reply.header(name, value);
  }
  return reply.code(answer.status).send(answer.body);
}

export function registerRoutes(app: FastifyInstance, options: GatewayRoutesOptions): void {
  const { order, frontend, limiter, ratePerSecond, timeoutMs, apiDocument } = options;
  const limitedByRate = options.rateLimited.labels('rate');
  const limitedInFlight = options.rateLimited.labels('in-flight');

  const tooMany = (reply: FastifyReply, seconds: number, message: string) =>
    reply.code(429).header('retry-after', String(seconds)).send({ error: 'rate-limited', message, details: { retryAfterSeconds: seconds } });

  /** The answer the gateway gives for an upstream that could not answer. */
  function failure(reply: FastifyReply, error: unknown): FastifyReply {
    if (!(error instanceof UpstreamError)) throw error;
    const { service } = error;
    switch (error.kind) {
      case 'busy':
        limitedInFlight.inc();
        return tooMany(reply, RETRY_AFTER_SECONDS, `too many requests in flight to the ${service} service; retry after ${RETRY_AFTER_SECONDS} s`);
      case 'refused':
      case 'reset':
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_SECONDS))
          .send({ error: 'upstream-unavailable', message: `the ${service} service is unavailable (connection ${error.kind}); try again shortly`, details: { upstream: service, retryAfterSeconds: RETRY_AFTER_SECONDS } });
      case 'timeout':
        return reply.code(504).send({
          error: 'upstream-timeout',
          message: `the ${service} service did not answer within ${timeoutMs} ms; an order sent may still be placed, so retry it with the same Idempotency-Key`,
          details: { upstream: service, timeoutMs },
        });
      default:
        return reply.code(502).send({ error: 'bad-gateway', message: `the ${service} service answered in a way the gateway cannot relay`, details: { upstream: service } });
    }
  }

  const rateLimit: onRequestHookHandler = (_request, reply, done) => {
    const waitMs = limiter!.take();
    if (waitMs === 0) return done();
    limitedByRate.inc();
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    // Answered here, before the body is read: a flood costs as little as it can.
    tooMany(reply, seconds, `too many requests: the API takes ${ratePerSecond} per second; retry after ${seconds} s`);
  };

  /** A handler that forwards to `upstream`; `api` requests get a trace. */
  const forwardTo = (upstream: Upstream, api: boolean) =>
    async function forward(request: FastifyRequest, reply: FastifyReply) {
      const body = request.body as Buffer | undefined;
      const headers = upstreamHeaders(request, api);
      const repeatable = request.method === 'GET' || request.method === 'HEAD' || headers['idempotency-key'] !== undefined;
      try {
        return relay(reply, await upstream.request(request.method, request.url, headers, body, repeatable));
      } catch (error) {
        return failure(reply, error);
      }
    };

  // Bodies are relayed as they came (malformed JSON is the order service's to judge), and the
  // kit's 16 KiB body limit answers 413 before a byte goes upstream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const api = { schema: { hide: true }, ...(limiter ? { onRequest: rateLimit } : {}) };
  app.route({ method: METHODS, url: '/api/v1/orders', ...api, handler: forwardTo(order, true) });
  app.route({ method: METHODS, url: '/api/v1/orders/*', ...api, handler: forwardTo(order, true) });
  app.route({ method: METHODS, url: '/api/v1/menu', ...api, handler: forwardTo(frontend, true) });

  app.get('/api/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    try {
      return await apiDocument.get();
    } catch (error) {
      return failure(reply, error);
    }
  });

  // The web shop and anything else: the frontend's to answer, 404s included.
  app.route({ method: METHODS, url: '/*', schema: { hide: true }, handler: forwardTo(frontend, false) });
}
