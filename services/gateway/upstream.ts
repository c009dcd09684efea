/**
 * One upstream service as the gateway sees it: a keep-alive connection pool per instance, taken
 * in turn (round-robin), a cap on requests in flight per instance, and every way a call can fail
 * named (refused, reset, timeout, busy, bad) so the gateway answers 503, 504, 429 or 502.
 * An instance that refuses a connection never got the request, so the next one is tried; a reset
 * may come after the request arrived, so it is tried elsewhere only when repeating it is safe.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';
import type { Logger, promClient } from '../kit/index.js';
import { createRoundRobin } from './round-robin.js';

export type FailureKind = 'refused' | 'reset' | 'timeout' | 'busy' | 'bad';

/** A call upstream failed; `kind` decides the answer, `service` is named in it. */
export class UpstreamError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface UpstreamOptions {
  service: string;
  urls: readonly string[];
  /** Longest wait for a connection, for the answer's headers, and between body chunks. */
  timeoutMs: number;
  /** Requests in flight per instance beyond which the gateway answers 429 instead of queueing. */
  maxInFlight: number;
  logger: Logger;
  /** gateway_upstream_requests_total{upstream,status}. */
  requests: promClient.Counter<'upstream' | 'status'>;
}

export interface Upstream {
  readonly service: string;
  /** Sends one request to the next instance in turn; throws UpstreamError. `repeatable`: safe to send twice (GET, or carries an Idempotency-Key). */
  request(method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, repeatable: boolean): Promise<UpstreamAnswer>;
  close(): Promise<void>;
}

interface Instance {
  /** Label and log name: `order-2`, or just `frontend` when there is one instance. */
  name: string;
  pool: Pool;
  inFlight: number;
  failing: boolean;
  /** Counter children per status, made once: labelling a counter on every request costs a hash. */
  counted: Map<number | string, promClient.Counter.Internal>;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** How a failed undici call failed. */
export function classify(error: unknown): Exclude<FailureKind, 'busy'> {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  if (code && TIMEOUT_CODES.has(code)) return 'timeout';
  if (code && RESET_CODES.has(code)) return 'reset';
  return 'bad';
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const { service, timeoutMs, maxInFlight, logger, requests } = options;
  const instances: Instance[] = options.urls.map((url, i) => ({
    name: options.urls.length === 1 ? service : `${service}-${i + 1}`,
    pool: new Pool(url, { connections: maxInFlight, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: timeoutMs } }),
    inFlight: 0,
    failing: false,
    counted: new Map(),
  }));
  const turns = createRoundRobin(instances.length);

  const count = (instance: Instance, status: number | string) => {
    let child = instance.counted.get(status);
    if (!child) instance.counted.set(status, (child = requests.labels(instance.name, String(status))));
    child.inc();
  };

  // One log line when an instance starts or stops failing, never one per request.
  const failed = (instance: Instance, kind: FailureKind, error: unknown) => {
    if (instance.failing) return;
    instance.failing = true;
    logger.warn({ upstream: instance.name, kind, err: (error as Error).message }, `${instance.name} fails (${kind}); the gateway answers for it until it is back`);
  };
  const answered = (instance: Instance) => {
    if (!instance.failing) return;
    instance.failing = false;
    logger.info({ upstream: instance.name }, `${instance.name} answers again`);
  };

  /** The instance whose turn it is, passing over those at their in-flight cap. */
  const pickIndex = (): number => {
    for (let tried = 0; tried < instances.length; tried++) {
      const index = turns.pick();
      if (instances[index]!.inFlight < maxInFlight) return index;
    }
    return -1;
  };

  return {
    service,
    async request(method, path, headers, body, repeatable) {
      let last: UpstreamError | undefined;
      for (let attempt = 0; attempt < instances.length; attempt++) {
        const index = pickIndex();
        if (index < 0) throw new UpstreamError('busy', service, `${maxInFlight} requests are already in flight to each ${service} instance`);
        const instance = instances[index]!;
        instance.inFlight++;
        try {
          const answer = await instance.pool.request({ method, path, headers, body });
          const data = Buffer.from(await answer.body.arrayBuffer());
          count(instance, answer.statusCode);
          turns.answered(index);
          answered(instance);
          return { status: answer.statusCode, headers: answer.headers, body: data };
        } catch (error) {
          const kind = classify(error);
          count(instance, kind);
          failed(instance, kind, error);
          last = new UpstreamError(kind, service, `${instance.name}: ${(error as Error).message}`, { cause: error });
          if (kind === 'refused') turns.refused(index);
          if (kind === 'refused' || (kind === 'reset' && repeatable)) continue;
          throw last;
        } finally {
          instance.inFlight--;
        }
      }
      throw last!;
    },
    async close() {
      await Promise.all(instances.map((i) => i.pool.close()));
    },
  };
}
