/**
 * What the load generator sends: the shop's API through the gateway, over one undici pool of
 * keep-alive connections, as many as requests may be in flight, so a request never waits
 * for a connection (opening one per request would measure the TCP handshake, not the shop).
 */
import { Pool } from 'undici';
import type { NewOrder } from '../lib/shop-client.js';
import { codeOf, type Answer } from './ledger.js';

export type LoadEndpoint = 'orders' | 'menu';

export interface HttpTargetOptions {
  gateway: string;
  endpoint: LoadEndpoint;
  connections: number;
  timeoutMs: number;
  order: () => NewOrder;
}

export interface HttpTarget {
  /** `POST /api/v1/orders` or `GET /api/v1/menu`. */
  description: string;
  /** Sends one request; never rejects. A key becomes the Idempotency-Key header. */
  send(key: string | undefined): Promise<Answer>;
  /** Fails every request still outstanding at once (their answers are then unknown). */
  abandon(): void;
  close(): Promise<void>;
}

const PATHS: Record<LoadEndpoint, { method: 'GET' | 'POST'; path: string }> = {
  orders: { method: 'POST', path: '/api/v1/orders' },
  menu: { method: 'GET', path: '/api/v1/menu' },
};

/** The gateway as a load target: a pool of `connections` keep-alive connections. */
export function createHttpTarget(options: HttpTargetOptions): HttpTarget {
  const url = new URL(options.gateway);
  const { method, path } = PATHS[options.endpoint];
  const fullPath = `${url.pathname.replace(/\/$/, '')}${path}`;
  const pool = new Pool(url.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: options.timeoutMs } });
  let abandoned = false;

  async function send(key: string | undefined): Promise<Answer> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    try {
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (method === 'POST') {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.order());
      }
      if (key) headers['idempotency-key'] = key;
      const response = await pool.request({ method, path: fullPath, headers, body, signal: controller.signal });
      const status = response.statusCode;
      if (options.endpoint === 'orders' && status >= 200 && status < 300) {
        const text = await response.body.text();
        return { status, orderId: orderIdOf(text, response.headers.location) };
      }
      // Read the body to its end: the answer is complete only then, and the connection can be reused.
      await response.body.dump({ limit: 1 << 20 });
      return { status };
    } catch (error) {
      if (timedOut) return { error: 'timeout' };
      if (abandoned) return { error: 'abandoned' };
      return { error: codeOf(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    description: `${method} ${fullPath}`,
    send,
    abandon() {
      abandoned = true;
      void pool.destroy().catch(() => undefined);
    },
    async close() {
      if (!pool.destroyed && !pool.closed) await pool.close().catch(() => undefined);
    },
  };
}

/** The order id of a 2xx answer: its body's `orderId`, or else the last part of its Location. */
function orderIdOf(text: string, location: string | string[] | undefined): string | undefined {
  try {
    const id = (JSON.parse(text) as { orderId?: unknown }).orderId;
    if (typeof id === 'string' && id.length > 0) return id;
  } catch {
    // fall through to the Location header
  }
  const self = Array.isArray(location) ? location[0] : location;
  return self?.split('/').filter(Boolean).at(-1);
}
