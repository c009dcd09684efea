/**
 * A circuit breaker around a dependency: after `failureThreshold` failures in a row it opens and
 * calls fail at once (BreakerOpenError says when to try again); after `openMs` one trial call is
 * let through (half-open): success closes it, failure opens it again.
 */
import { ServiceError } from './errors.js';
import type { Metrics } from './metrics.js';

/** The breaker's states, in the order of the `breaker_state` gauge (0, 1, 2): the dashboard reads it back so. */
export const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export class BreakerOpenError extends ServiceError {
  constructor(
    readonly breaker: string,
    readonly retryInMs: number,
  ) {
    super(`circuit breaker "${breaker}" is open; next trial in ${retryInMs} ms`, { retriable: true, status: 503, code: 'breaker-open' });
  }
}

export interface BreakerOptions {
  name: string;
  failureThreshold?: number;
  openMs?: number;
  /** Which errors count as the dependency failing (a decline is an answer, not a failure). */
  isFailure?: (error: unknown) => boolean;
  metrics?: Metrics;
  onStateChange?: (state: BreakerState, previous: BreakerState) => void;
  now?: () => number;
}

export interface Breaker {
  readonly state: BreakerState;
  exec<T>(fn: () => Promise<T>): Promise<T>;
  /** Milliseconds until a trial call is allowed (0 unless open). */
  retryInMs(): number;
}


export function createBreaker(options: BreakerOptions): Breaker {
  const threshold = options.failureThreshold ?? 5;
  const openMs = options.openMs ?? 5000;
  const now = options.now ?? Date.now;
  const isFailure = options.isFailure ?? (() => true);
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let trialInFlight = false;

  const set = (next: BreakerState) => {
    if (next === state) return;
    const previous = state;
    state = next;
    options.metrics?.breakerState.set({ breaker: options.name }, BREAKER_STATES.indexOf(next));
    options.onStateChange?.(next, previous);
  };
  options.metrics?.breakerState.set({ breaker: options.name }, 0);

  const retryInMs = () => (state === 'open' ? Math.max(0, openedAt + openMs - now()) : 0);

  return {
    get state() {
      if (state === 'open' && retryInMs() === 0) return 'half-open';
      return state;
    },
    retryInMs,
    async exec<T>(fn: () => Promise<T>): Promise<T> {
      if (state === 'open') {
        if (retryInMs() > 0) throw new BreakerOpenError(options.name, retryInMs());
        set('half-open');
      }
      if (state === 'half-open') {
        if (trialInFlight) throw new BreakerOpenError(options.name, Math.max(100, openMs / 10));
        trialInFlight = true;
      }
      try {
        const result = await fn();
        failures = 0;
        set('closed');
        return result;
      } catch (error) {
        if (isFailure(error)) {
          failures++;
          if (state === 'half-open' || failures >= threshold) {
            openedAt = now();
            set('open');
          }
        }
        throw error;
      } finally {
        trialInFlight = false;
      }
    },
  };
}
