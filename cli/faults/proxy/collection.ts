/**
 * The named proxies of one fault proxy server: create (409 on a taken name), populate
 * (create-or-replace a list, names and upstreams checked before anything changes), delete, reset.
 */
import { z } from 'zod';
import { ApiError, parseBody } from './api-error.js';
import { createProxy, type Proxy } from './proxy.js';
import type { Logger } from './logger.js';
import type { ProxyConfig } from '../types.js';

export interface ProxyCollection {
  /** Every proxy, by name. */
  list(): Proxy[];
  /** Throws ProxyNotFound. */
  get(name: string): Proxy;
  /** Parses a `POST /proxies` body, creates the proxy and starts it unless `enabled: false`. */
  create(body: unknown): Promise<Proxy>;
  /** Parses a `POST /populate` body; a proxy with the same name and addresses is kept as is. */
  populate(body: unknown): Promise<Proxy[]>;
  remove(name: string): Promise<void>;
  /** Enables every proxy and removes every toxic. */
  reset(): Promise<void>;
  /** Stops every proxy (server shutdown). */
  stopAll(): Promise<void>;
}

const proxyBody = z.object({
  name: z.string().optional(),
  listen: z.string().optional(),
  upstream: z.string().optional(),
  enabled: z.boolean().optional(),
});

/** Makes an empty collection. */
export function createProxyCollection(logger: Logger): ProxyCollection {
  const proxies = new Map<string, Proxy>();

  const get = (name: string): Proxy => {
    const proxy = proxies.get(name);
    if (!proxy) throw new ApiError('ProxyNotFound');
    return proxy;
  };
  const start = async (config: Required<ProxyConfig>): Promise<Proxy> => {
    const proxy = createProxy(config, logger);
    if (config.enabled) await proxy.start();
    proxies.set(proxy.name, proxy);
    return proxy;
  };

  return {
    list: () => [...proxies.values()].sort((a, b) => a.name.localeCompare(b.name)),
    get,
    async create(body) {
      const config = parseProxyConfig(body);
      if (proxies.has(config.name)) throw new ApiError('ProxyAlreadyExists');
      return start(config);
    },
    async populate(body) {
      const configs = parseBody(z.array(z.unknown()), body).map((item, index) => parseProxyConfig(item, index));
      // A name given twice: the later one replaces the earlier, as in Toxiproxy.
      const result: Proxy[] = [];
      for (const config of configs) {
        const existing = proxies.get(config.name);
        if (existing && existing.listen === config.listen && existing.upstream === config.upstream) {
          result.push(existing);
          continue;
        }
        await existing?.stop();
        proxies.delete(config.name);
        result.push(await start(config));
      }
      return result;
    },
    async remove(name) {
      const proxy = get(name);
      proxies.delete(name);
      await proxy.stop();
    },
    async reset() {
      for (const proxy of proxies.values()) {
        await proxy.start();
        await proxy.removeAllToxics();
      }
    },
    async stopAll() {
      await Promise.all([...proxies.values()].map((proxy) => proxy.stop()));
    },
  };
}

// Toxiproxy's checks and messages: addresses are only tried when listening or connecting. The
// listen address defaults to a free loopback port, where Toxiproxy listens on every interface.
function parseProxyConfig(body: unknown, index?: number): Required<ProxyConfig> {
  const input = parseBody(proxyBody, body);
  const where = index === undefined ? '' : ` at proxy ${index + 1}`;
  if (!input.name) throw new ApiError('MissingField', `name${where}`);
  if (!input.upstream) throw new ApiError('MissingField', `upstream${where}`);
  const listen = input.listen || '127.0.0.1:0';
  return { name: input.name, listen, upstream: input.upstream, enabled: input.enabled ?? true };
}
