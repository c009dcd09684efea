/**
 * Retry with exponential backoff and full jitter (AWS's "Exponential Backoff and Jitter"): each
 * wait is random between 0 and min(cap, base·2^attempt), so a crowd of retries spreads out
 * instead of hammering a recovering dependency in waves. Programming errors are never retried.
 */
import { isRetriable, ServiceError } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included (Infinity: until it works or is aborted). */
  attempts: number;
  initialMs: number;
  maxMs: number;
  isRetriable?: (error: unknown) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  signal?: AbortSignal;
  random?: () => number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, initialMs: 100, maxMs: 5000 };

/** The wait before retry number `attempt` (1 = the first retry). */
export function backoffDelay(attempt: number, options: Pick<RetryOptions, 'initialMs' | 'maxMs' | 'random'>): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** (attempt - 1));
  return Math.round((options.random ?? Math.random)() * ceiling);
}

export class RetriesExhaustedError extends ServiceError {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    cause: unknown,
  ) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${elapsedMs} ms: ${(cause as Error)?.message ?? cause}`, { cause, retriable: false, code: 'retries-exhausted', status: 503 });
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn(attempt)` until it succeeds, a non-retriable error is thrown (rethrown as is), or the
 * attempts run out (RetriesExhaustedError saying how many times and for how long).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: Partial<RetryOptions> = {}): Promise<T> {
  const o = { ...DEFAULT_RETRY, ...options };
  const retriable = o.isRetriable ?? isRetriable;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!retriable(error)) throw error;
      if (attempt >= o.attempts || o.signal?.aborted) throw new RetriesExhaustedError(attempt, Date.now() - started, error);
      const delayMs = backoffDelay(attempt, o);
      o.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, o.signal);
    }
  }
}
