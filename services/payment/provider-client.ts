/**
 * The payment service's client for the provider (reached through the `payment-provider` link).
 * One charge call, bounded by a timeout, answers charged or declined. Whatever leaves the outcome
 * unknown or says "not now" (a 5xx, a timeout, no connection) is a TransientError: the caller
 * retries with the same Idempotency-Key, so the order is never charged twice.
 */
import { Pool } from 'undici';
import { messageOf, ServiceError, TransientError } from '../kit/index.js';

export interface ChargeRequest {
  orderId: string;
  amountCents: number;
  currency: 'EUR';
  paymentMethod: string;
  idempotencyKey: string;
  traceparent?: string;
}

export type ChargeResult =
  | { outcome: 'charged'; chargeId: string; replayed: boolean }
  | { outcome: 'declined'; chargeId?: string; reason: string; message: string };

export interface ProviderClient {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  close(): Promise<void>;
}

/** Why a call failed, for metrics and logs: the TransientError's code. */
export const PROVIDER_ERROR_CODES = { error: 'provider-error', timeout: 'provider-timeout', unreachable: 'provider-unreachable', refused: 'provider-refused' } as const;

export function createProviderClient(options: { baseUrl: string; timeoutMs: number; connections?: number }): ProviderClient {
  const base = new URL(options.baseUrl);
  const path = `${base.pathname.replace(/\/$/, '')}/charges`;
  // Keep-alive connections: a TCP handshake per charge would cost more than the charge.
  const pool = new Pool(base.origin, { connections: options.connections ?? 16 });

  return {
    async charge(request) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      let status: number;
      let text: string;
      try {
        const response = await pool.request({
          method: 'POST',
          path,
          signal,
          headers: {
            'content-type': 'application/json',
            'idempotency-key': request.idempotencyKey,
            ...(request.traceparent ? { traceparent: request.traceparent } : {}),
          },
          body: JSON.stringify({ orderId: request.orderId, amountCents: request.amountCents, currency: request.currency, paymentMethod: request.paymentMethod }),
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        if (signal.aborted) throw new TransientError(`the provider did not answer within ${options.timeoutMs} ms`, { cause: error, code: PROVIDER_ERROR_CODES.timeout });
        throw new TransientError(`the provider cannot be reached: ${messageOf(error)}`, { cause: error, code: PROVIDER_ERROR_CODES.unreachable });
      }
      const body = parse(text);
      if (status === 200 || status === 201) {
        if (typeof body.chargeId !== 'string') throw new ServiceError(`the provider answered ${status} without a chargeId`, { status: 502, code: PROVIDER_ERROR_CODES.refused });
        return { outcome: 'charged', chargeId: body.chargeId, replayed: status === 200 };
      }
      if (status === 402) {
        const details = (body.details ?? {}) as { chargeId?: unknown; reason?: unknown };
        return {
          outcome: 'declined',
          chargeId: typeof details.chargeId === 'string' ? details.chargeId : undefined,
          reason: typeof details.reason === 'string' ? details.reason : 'declined',
          message: typeof body.message === 'string' ? body.message : 'the charge was declined',
        };
      }
      const said = typeof body.message === 'string' ? `: ${body.message}` : '';
      if (status >= 500) throw new TransientError(`the provider answered ${status}${said}`, { code: PROVIDER_ERROR_CODES.error });
      // Any other answer (400, 422…) means our request is wrong: retrying cannot fix it.
      throw new ServiceError(`the provider refused the charge with ${status}${said}`, { status: 502, code: PROVIDER_ERROR_CODES.refused, details: body });
    },
    close: () => pool.close(),
  };
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
