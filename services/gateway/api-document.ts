/**
 * GET /api/openapi.json: the upstreams' own generated documents, fetched when asked (and kept a
 * few seconds), merged into one with the gateway's answers added. An upstream that does not
 * answer is described from its last document; one never seen makes the request fail, since a
 * document missing half the API would mislead.
 */
import { errorResponses } from '../kit/index.js';
import { mergeOpenApi, type OpenApiDocument, type OpenApiResponse } from './openapi-merge.js';
import { UpstreamError, type Upstream } from './upstream.js';

/** kit's fastify-style error schemas as OpenAPI response objects. */
function responses(...statuses: number[]): Record<string, OpenApiResponse> {
  return Object.fromEntries(
    Object.entries(errorResponses(...statuses)).map(([status, entry]) => {
      const { description, ...schema } = entry as { description: string };
      return [status, { description, content: { 'application/json': { schema } } }];
    }),
  );
}

const GATEWAY_ANSWERS = { everyOperation: responses(429, 502, 503, 504), withBody: responses(413) };

export interface ApiDocument {
  get(): Promise<OpenApiDocument>;
}

export function createApiDocument(upstreams: readonly Upstream[], options: { ttlMs?: number } = {}): ApiDocument {
  const ttlMs = options.ttlMs ?? 5000;
  const lastSeen = new Map<string, OpenApiDocument>();
  let cached: { at: number; document: OpenApiDocument } | undefined;
  let inflight: Promise<OpenApiDocument> | undefined;

  async function fetchOne(upstream: Upstream): Promise<OpenApiDocument> {
    try {
      const answer = await upstream.request('GET', '/openapi.json', { accept: 'application/json' }, undefined, true);
      if (answer.status !== 200) throw new UpstreamError('bad', upstream.service, `${upstream.service} answered ${answer.status} for its /openapi.json`);
      const document = JSON.parse(answer.body.toString('utf8')) as OpenApiDocument;
      lastSeen.set(upstream.service, document);
      return document;
    } catch (error) {
      const previous = lastSeen.get(upstream.service);
      if (previous) return previous;
      throw error instanceof UpstreamError ? error : new UpstreamError('bad', upstream.service, `the ${upstream.service} service's /openapi.json is not JSON`, { cause: error });
    }
  }

  async function build(): Promise<OpenApiDocument> {
    const documents = await Promise.all(upstreams.map(fetchOne));
    const document = mergeOpenApi(documents, {
      info: { title: 'pizza-lab API', version: '1.0.0', description: 'The public API of the pizza shop, as the gateway serves it: the menu and the orders (each a saga over Kafka).' },
      ...GATEWAY_ANSWERS,
    });
    cached = { at: Date.now(), document };
    return document;
  }

  return {
    async get() {
      if (cached && Date.now() - cached.at < ttlMs) return cached.document;
      inflight ??= build().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  };
}
