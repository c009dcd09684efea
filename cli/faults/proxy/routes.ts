/**
 * The Toxiproxy 2.x HTTP API as a route table: same paths, methods, bodies and status codes, so
 * Toxiproxy's own clients work against the built-in proxy unchanged.
 */
import { z } from 'zod';
import { ApiError, parseBody } from './api-error.js';
import { renderMetrics } from './metrics.js';
import { toxicJson } from './toxic-collection.js';
import type { ProxyCollection } from './collection.js';

export interface Reply {
  status: number;
  /** Sent as JSON; a string is sent as is. */
  body?: unknown;
  contentType?: string;
}

type Handler = (params: string[], body: unknown) => Reply | Promise<Reply>;

interface Route {
  methods: string[];
  path: RegExp;
  handle: Handler;
}

export interface Router {
  /** Answers one request; throws an ApiError for the error answers. */
  handle(method: string, path: string, body: unknown): Promise<Reply>;
}

// Semver like Toxiproxy's; the suffix says which implementation answers.
export const FAULT_PROXY_VERSION = '0.1.0-pizza-lab';

const proxyUpdate = z.object({
  listen: z.string().optional(),
  upstream: z.string().optional(),
  enabled: z.boolean().optional(),
});

/** Builds the routes of the fault API over a proxy collection. */
export function createRouter(proxies: ProxyCollection): Router {
  const json = (status: number, body?: unknown): Reply => ({ status, body });

  const routes: Route[] = [
    { methods: ['GET'], path: /^\/version$/, handle: () => ({ status: 200, body: `{"version": "${FAULT_PROXY_VERSION}"}\n`, contentType: 'application/json; charset=utf-8' }) },
    { methods: ['GET'], path: /^\/metrics$/, handle: () => ({ status: 200, body: renderMetrics(proxies.list()), contentType: 'text/plain; version=0.0.4; charset=utf-8' }) },
    {
      methods: ['POST'],
      path: /^\/reset$/,
      handle: async () => {
        await proxies.reset();
        return json(204);
      },
    },
    { methods: ['GET'], path: /^\/proxies$/, handle: () => json(200, Object.fromEntries(proxies.list().map((p) => [p.name, p.toJSON()]))) },
    { methods: ['POST'], path: /^\/proxies$/, handle: async (_, body) => json(201, (await proxies.create(body)).toJSON()) },
    { methods: ['POST'], path: /^\/populate$/, handle: async (_, body) => json(201, { proxies: (await proxies.populate(body)).map((p) => p.toJSON()) }) },
    { methods: ['GET'], path: /^\/proxies\/([^/]+)$/, handle: ([name]) => json(200, proxies.get(name!).toJSON()) },
    {
      methods: ['POST', 'PATCH'],
      path: /^\/proxies\/([^/]+)$/,
      handle: async ([name], body) => {
        const proxy = proxies.get(name!);
        await proxy.update(parseBody(proxyUpdate, body));
        return json(200, proxy.toJSON());
      },
    },
    {
      methods: ['DELETE'],
      path: /^\/proxies\/([^/]+)$/,
      handle: async ([name]) => {
        await proxies.remove(name!);
        return json(204);
      },
    },
    { methods: ['GET'], path: /^\/proxies\/([^/]+)\/toxics$/, handle: ([name]) => json(200, proxies.get(name!).toxics().map(toxicJson)) },
    { methods: ['POST'], path: /^\/proxies\/([^/]+)\/toxics$/, handle: async ([name], body) => json(200, toxicJson(await proxies.get(name!).addToxic(body))) },
    { methods: ['GET'], path: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/, handle: ([name, toxic]) => json(200, toxicJson(proxies.get(name!).getToxic(toxic!))) },
    {
      methods: ['POST', 'PATCH'],
      path: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      handle: async ([name, toxic], body) => json(200, toxicJson(await proxies.get(name!).updateToxic(toxic!, body))),
    },
    {
      methods: ['DELETE'],
      path: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
      handle: async ([name, toxic]) => {
        await proxies.get(name!).removeToxic(toxic!);
        return json(204);
      },
    },
  ];

  return {
    async handle(method, path, body) {
      const matching = routes.filter((route) => route.path.test(path));
      if (matching.length === 0) throw new ApiError('RouteNotFound', path);
      const route = matching.find((r) => r.methods.includes(method));
      if (!route) throw new ApiError('MethodNotAllowed', `${method} ${path}`);
      const params = route.path.exec(path)!.slice(1).map(decodeSegment);
      return route.handle(params, body);
    },
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError('BadRequestBody', `bad escape in "${segment}"`);
  }
}
