/**
 * The HTTP app every service starts from: fastify with JSON-schema validation, a 16 KiB body
 * limit, one error mapper answering `{error, message, details}`, RED metrics, `/health`,
 * `/metrics`, and an OpenAPI document generated from the route schemas at `/openapi.json`.
 */
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { ServiceConfig } from './config.js';
import { isConnectionError, ServiceError, UnavailableError } from './errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export const BODY_LIMIT_BYTES = 16 * 1024;

/** The body of every error answer. */
export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'machine-readable error code' },
    message: { type: 'string', description: 'what went wrong, for people' },
    details: { description: 'more about it: the fields at fault, the valid values…' },
  },
} as const;

const STATUS_TEXT: Record<number, string> = {
  400: 'the request is malformed or a field is invalid (the field is named)',
  404: 'no such resource',
  409: 'conflicts with an earlier request',
  413: 'the body is larger than 16 KiB',
  415: 'the body is not application/json',
  422: 'well-formed but cannot be processed (e.g. an unknown pizza)',
  429: 'too many requests: retry after the Retry-After header',
  500: 'an unexpected error',
  502: 'an upstream service answered badly',
  503: 'a dependency is unavailable; try again later',
  504: 'an upstream service did not answer in time',
};

/** OpenAPI response entries for the given error statuses. */
export function errorResponses(...statuses: number[]): Record<number, object> {
  return Object.fromEntries(statuses.map((status) => [status, { description: STATUS_TEXT[status] ?? 'error', ...errorSchema }]));
}

export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** "body.items[0].quantity" from ajv's "/items/0/quantity". */
function fieldName(context: string | undefined, issue: ValidationIssue): string {
  const segments = issue.instancePath.split('/').filter(Boolean);
  if (issue.keyword === 'required') segments.push(String(issue.params.missingProperty));
  if (issue.keyword === 'additionalProperties') segments.push(String(issue.params.additionalProperty));
  const path = segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('');
  return `${context ?? 'body'}${path}`;
}

function describeIssue(context: string | undefined, issue: ValidationIssue): { field: string; message: string } {
  const field = fieldName(context, issue);
  if (issue.keyword === 'required') return { field, message: `${field} is required` };
  if (issue.keyword === 'additionalProperties') return { field, message: `${field} is not an accepted field` };
  return { field, message: `${field} ${issue.message ?? 'is invalid'}` };
}

/** The one place errors become HTTP answers. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  const e = error as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (e?.validation) {
    const issues = e.validation.map((issue) => describeIssue(e.validationContext, issue));
    return { status: 400, body: { error: 'validation', message: issues.map((i) => i.message).join('; '), details: { fields: issues } } };
  }
  if (error instanceof ServiceError) return { status: error.status, body: { error: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } };
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: { error: 'payload-too-large', message: `the body is larger than ${BODY_LIMIT_BYTES} bytes` } };
  if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, body: { error: 'unsupported-media-type', message: 'send the body as application/json' } };
  if (e?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return { status: 400, body: { error: 'bad-request', message: 'the JSON body is empty' } };
  if (e instanceof SyntaxError || e?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return { status: 400, body: { error: 'malformed-json', message: `the body is not valid JSON: ${e.message}` } };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, body: { error: 'bad-request', message: e.message } };
  return { status: 500, body: { error: 'internal', message: 'an unexpected error; it was logged' } };
}

/** true: ok; false or a string: failing (the string says why); `{ info }`: ok, with a note (e.g. a breaker's state). */
export interface HealthCheck {
  (): Promise<boolean | string | { info: string }>;
}

export interface HttpAppOptions {
  config: ServiceConfig;
  logger: Logger;
  metrics: Metrics;
  /** Title of this service's OpenAPI document. */
  title: string;
  description?: string;
  /** Checks reported by /health; any failing one makes it answer 503. */
  health?: Record<string, HealthCheck>;
}

export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const { config, logger, metrics } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // One log line per request would cost more than the request at a thousand a second.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    forceCloseConnections: true,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: options.title, description: options.description, version: '1.0.0' },
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (error, request, reply) => {
    // A lost database connection is an outage the client may retry after, not a bug: 503.
    const mapped = isConnectionError(error) ? new UnavailableError(`the ${config.service} database is unavailable; try again shortly`, { cause: error }) : error;
    const { status, body } = toErrorResponse(mapped);
    // Expected outages (503, 502) are one line; only the unexpected gets a stack trace.
    if (status === 500) request.log.error({ err: error, url: request.url }, 'request failed');
    else if (status >= 502) request.log.warn({ url: request.url, status, reason: body.message }, 'request failed');
    if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler(async (request, reply) => reply.status(404).send({ error: 'not-found', message: `${request.method} ${request.url.split('?')[0]} does not exist` }));

  const healthSchema = {
    type: 'object',
    properties: { status: { type: 'string', enum: ['ok', 'degraded'] }, service: { type: 'string' }, instance: { type: 'string' }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
  };
  app.get('/health', { schema: { hide: true, response: { 200: healthSchema, 503: healthSchema } } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    let ok = true;
    await Promise.all(
      Object.entries(options.health ?? {}).map(async ([name, check]) => {
        try {
          const result = await Promise.race([check(), new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 1 s'), 1000).unref())]);
          checks[name] = result === true ? 'ok' : result === false ? 'failing' : typeof result === 'string' ? result : result.info;
          if (result !== true && typeof result !== 'object') ok = false;
        } catch (error) {
          checks[name] = (error as Error).message;
          ok = false;
        }
      }),
    );
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', service: config.service, instance: config.instance, checks });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
