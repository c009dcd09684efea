/**
 * A typed client for the fault API, for the rest of the CLI. It speaks Toxiproxy 2.x, so it
 * drives the built-in proxy (native runtime) and the real Toxiproxy (compose runtime) alike.
 * Every failure is a LabError whose one-line message names the proxy or toxic concerned.
 */
import { LabError, StackNotRunningError, TimeoutError, messageOf } from '../lib/errors.js';
import type { ProxyConfig, ProxyJson, ToxicConfig, ToxicJson, ToxicUpdate } from './types.js';

export interface FaultClient {
  readonly url: string;
  /** The server's version string ("2.9.0" for Toxiproxy). */
  version(): Promise<string>;
  /** Every proxy, sorted by name. */
  listProxies(): Promise<ProxyJson[]>;
  getProxy(name: string): Promise<ProxyJson>;
  createProxy(config: ProxyConfig): Promise<ProxyJson>;
  /** Creates or replaces these proxies; one with the same name and addresses is kept. */
  populate(configs: ProxyConfig[]): Promise<ProxyJson[]>;
  /** Disabling cuts the link: open connections drop, new ones are refused. */
  setEnabled(name: string, enabled: boolean): Promise<ProxyJson>;
  updateProxy(name: string, change: Partial<Omit<ProxyConfig, 'name'>>): Promise<ProxyJson>;
  deleteProxy(name: string): Promise<void>;
  addToxic(proxy: string, toxic: ToxicConfig): Promise<ToxicJson>;
  updateToxic(proxy: string, toxic: string, update: ToxicUpdate): Promise<ToxicJson>;
  removeToxic(proxy: string, toxic: string): Promise<void>;
  /** Enables every proxy and removes every toxic: heals all network faults. */
  reset(): Promise<void>;
}

/** The fault API answered with an error status. */
export class FaultApiError extends LabError {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message, { retriable: status === 503, details: { status } });
    this.status = status;
  }
}

export interface FaultClientOptions {
  /** How long one request may take; 5 s by default. */
  timeoutMs?: number;
}

/** A client for the fault API at `baseUrl` (http://127.0.0.1:8474 in the lab). */
export function createFaultClient(baseUrl: string, options: FaultClientOptions = {}): FaultClient {
  const url = baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  const at = (...segments: string[]): string => segments.map(encodeURIComponent).join('/');

  // `what` is the first half of every error message: "cannot disable proxy "payment-kafka"".
  async function call<T>(what: string, method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${url}/${path}`, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new TimeoutError(`${what}: the fault API at ${url} did not answer within ${timeoutMs} ms`, { cause: error });
      }
      const code = (error as { cause?: { code?: string } }).cause?.code ?? messageOf(error);
      throw new StackNotRunningError(`${what}: the fault API at ${url} is not reachable (${code})`, {
        hint: 'start the lab with `pizza-lab up`',
        retriable: true,
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) throw new FaultApiError(`${what}: ${errorOf(text, response)} (HTTP ${response.status})`, response.status);
    return parseJson(text) as T;
  }

  const proxy = (name: string): string => `proxy "${name}"`;

  return {
    url,
    async version() {
      const text = await call<unknown>('cannot read the fault API version', 'GET', 'version');
      return typeof text === 'object' && text !== null && 'version' in text ? String(text.version) : String(text);
    },
    async listProxies() {
      const proxies = await call<Record<string, ProxyJson>>('cannot list the proxies', 'GET', 'proxies');
      return Object.values(proxies).sort((a, b) => a.name.localeCompare(b.name));
    },
    getProxy: (name) => call(`cannot read ${proxy(name)}`, 'GET', at('proxies', name)),
    createProxy: (config) => call(`cannot create ${proxy(config.name)}`, 'POST', 'proxies', config),
    async populate(configs) {
      const answer = await call<{ proxies: ProxyJson[] }>('cannot create the proxies', 'POST', 'populate', configs);
      return answer.proxies;
    },
    setEnabled: (name, enabled) =>
      call(`cannot ${enabled ? 'enable' : 'disable'} ${proxy(name)}`, 'POST', at('proxies', name), { enabled }),
    updateProxy: (name, change) => call(`cannot update ${proxy(name)}`, 'POST', at('proxies', name), change),
    deleteProxy: (name) => call(`cannot delete ${proxy(name)}`, 'DELETE', at('proxies', name)),
    addToxic(name, toxic) {
      const toxicName = toxic.name ?? `${toxic.type}_${toxic.stream ?? 'downstream'}`;
      return call(`cannot add toxic "${toxicName}" to ${proxy(name)}`, 'POST', at('proxies', name, 'toxics'), toxic);
    },
    updateToxic: (name, toxic, update) =>
      call(`cannot update toxic "${toxic}" on ${proxy(name)}`, 'POST', at('proxies', name, 'toxics', toxic), update),
    removeToxic: (name, toxic) =>
      call(`cannot remove toxic "${toxic}" from ${proxy(name)}`, 'DELETE', at('proxies', name, 'toxics', toxic)),
    reset: () => call('cannot reset the proxies', 'POST', 'reset'),
  };
}

// Old Toxiproxy versions answer /version in plain text, hence the fallback.
function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text.trim();
  }
}

// Toxiproxy answers errors as {"error": "...", "status": 404}.
function errorOf(text: string, response: Response): string {
  const body = parseJson(text) as { error?: unknown } | string | undefined;
  if (body && typeof body === 'object' && typeof body.error === 'string') return body.error;
  return (typeof body === 'string' && body) || response.statusText || 'error';
}
