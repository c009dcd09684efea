/**
 * The load generator: an open-model load (requests on a timetable, latency from when each was
 * due) against the lab's gateway, with a ledger of every order request for the checker.
 */
import { UsageError } from '../lib/errors.js';
import type { NewOrder } from '../lib/shop-client.js';
import { checkRate, type RateProfile } from './arrivals.js';
import { createHttpTarget, type LoadEndpoint } from './http-target.js';
import { runOpenModel, type LoadSnapshot, type OpenModelResult } from './open-model.js';
import { randomOrder } from './random-order.js';

export interface LoadOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8000. */
  gateway: string;
  /** Requests per second: a number, steps, or a function of the elapsed time (ramps). */
  rate: number | RateProfile;
  durationMs: number;
  endpoint: LoadEndpoint;
  /** Requests outstanding at most (and connections); a request due beyond it is dropped. Default 256. */
  maxInFlight?: number;
  /** The body of each order; default: 1–3 random pizzas, paid by card. */
  order?: () => NewOrder;
  /** How long a request may take before it counts as `error:timeout`. Default 10 s. */
  timeoutMs?: number;
  /** Stops the timetable; the answers still to come get a short grace, then are abandoned. */
  signal?: AbortSignal;
  /** Called once a second with the figures so far. */
  onTick?: (snapshot: LoadSnapshot) => void;
}

export interface LoadResult extends OpenModelResult {
  endpoint: LoadEndpoint;
  maxInFlight: number;
}

export const DEFAULT_MAX_IN_FLIGHT = 256;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Runs a load against the gateway and resolves with its figures once every request has ended. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const rate = checkRate(options.rate);
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isFinite(options.durationMs) || options.durationMs <= 0) throw new UsageError(`the duration must be above 0 ms, not ${options.durationMs}`);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new UsageError(`maxInFlight must be a whole number from 1, not ${maxInFlight}`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`the request timeout must be above 0 ms, not ${timeoutMs}`);

  const target = createHttpTarget({ gateway: options.gateway, endpoint: options.endpoint, connections: maxInFlight, timeoutMs, order: options.order ?? (() => randomOrder()) });
  try {
    const result = await runOpenModel({
      rate,
      durationMs: options.durationMs,
      maxInFlight,
      send: target.send,
      ledger: options.endpoint === 'orders',
      abandon: target.abandon,
      signal: options.signal,
      onTick: options.onTick,
    });
    return { endpoint: options.endpoint, maxInFlight, ...result };
  } finally {
    await target.close();
  }
}

export type { RateProfile } from './arrivals.js';
export type { LoadEndpoint } from './http-target.js';
export type { LatencySummary } from './latency.js';
export { countOutcomes, writeLedger, type LedgerEntry, type LedgerOutcome } from './ledger.js';
export { formatLiveLine, formatLoadSummary } from './load-report.js';
export type { LoadSnapshot, TimelineSecond } from './open-model.js';
