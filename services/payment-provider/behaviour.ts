/**
 * How the bank mock behaves right now (set at runtime with PUT /control), and what that means for
 * one charge call. Pure, so the decision is tested without a server.
 */
import { DECLINING_PAYMENT_METHOD } from '../events/index.js';

export const PROVIDER_MODES = ['ok', 'decline', 'errors', 'slow', 'down'] as const;
export type ProviderMode = (typeof PROVIDER_MODES)[number];

export type Behaviour =
  | { mode: 'ok' }
  /** Declines this fraction of new charges. */
  | { mode: 'decline'; rate: number }
  /** Answers 500/503 to this fraction of calls, charging nothing. */
  | { mode: 'errors'; rate: number }
  /** Charges first, then waits before answering: a client that gives up does not know it was charged. */
  | { mode: 'slow'; latencyMs: number }
  /** Answers 503 to every charge call at once. */
  | { mode: 'down' };

export const DEFAULT_LATENCY_MS = 3000;

export interface BehaviourInput {
  mode: ProviderMode;
  rate?: number;
  latencyMs?: number;
}

/** The behaviour a PUT /control body asks for: defaults filled in, fields that do not apply dropped. */
export function toBehaviour(input: BehaviourInput): Behaviour {
  switch (input.mode) {
    case 'decline':
    case 'errors':
      return { mode: input.mode, rate: input.rate ?? 1 };
    case 'slow':
      return { mode: 'slow', latencyMs: input.latencyMs ?? DEFAULT_LATENCY_MS };
    case 'ok':
    case 'down':
      return { mode: input.mode };
  }
}

export const DECLINE_REASONS = ['card-declined', 'insufficient-funds'] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export type Decision =
  /** Answer this status at once and charge nothing. */
  | { action: 'fail'; status: 500 | 503 }
  /** Record the charge (declined when `declineReason` is set), then answer after `delayMs`. */
  | { action: 'charge'; declineReason: DeclineReason | null; delayMs: number };

/**
 * What to do with one POST /charges. The decline only applies to a new charge: a replayed key
 * answers with what was recorded the first time.
 */
export function decide(behaviour: Behaviour, paymentMethod: string, random: () => number = Math.random): Decision {
  if (behaviour.mode === 'down') return { action: 'fail', status: 503 };
  if (behaviour.mode === 'errors' && random() < behaviour.rate) return { action: 'fail', status: random() < 0.5 ? 500 : 503 };
  let declineReason: DeclineReason | null = null;
  if (paymentMethod === DECLINING_PAYMENT_METHOD) declineReason = 'card-declined';
  else if (behaviour.mode === 'decline' && random() < behaviour.rate) declineReason = 'insufficient-funds';
  return { action: 'charge', declineReason, delayMs: behaviour.mode === 'slow' ? behaviour.latencyMs : 0 };
}
