/**
 * The fault API's errors, as Toxiproxy names them. Each is a named value; `statusOf` is the one
 * place that turns a name into an HTTP status. The body sent is Toxiproxy's: `{error, status}`.
 */
import { z } from 'zod';

const ERRORS = {
  BadRequestBody: { message: 'bad request body', status: 400 },
  MissingField: { message: 'missing required field', status: 400 },
  InvalidStream: { message: 'stream was invalid, can be either upstream or downstream', status: 400 },
  InvalidToxicType: { message: 'invalid toxic type', status: 400 },
  ProxyNotFound: { message: 'proxy not found', status: 404 },
  ToxicNotFound: { message: 'toxic not found', status: 404 },
  RouteNotFound: { message: 'not found', status: 404 },
  ProxyAlreadyExists: { message: 'proxy already exists', status: 409 },
  ToxicAlreadyExists: { message: 'toxic already exists', status: 409 },
  BrowserNotAllowed: { message: 'User agent not allowed', status: 403 },
  MethodNotAllowed: { message: 'method not allowed', status: 405 },
  BodyTooLarge: { message: 'request body too large (over 16 KiB)', status: 413 },
  // Toxiproxy answers a listen failure with Go's own error text, the detail alone.
  ListenFailed: { message: '', status: 500 },
  Internal: { message: 'internal error', status: 500 },
} as const;

export type ApiErrorName = keyof typeof ERRORS;

/** The HTTP status of a named error. */
export function statusOf(name: ApiErrorName): number {
  return ERRORS[name].status;
}

/** A fault API error: its name, and the detail after the colon ("missing required field: name"). */
export class ApiError extends Error {
  readonly code: ApiErrorName;
  readonly status: number;

  constructor(code: ApiErrorName, detail?: string) {
    const { message } = ERRORS[code];
    super(detail && message ? `${message}: ${detail}` : (detail ?? message));
    this.name = 'ApiError';
    this.code = code;
    this.status = statusOf(code);
  }

  /** The response body, as Toxiproxy writes it. */
  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

/** Validates a request body against a schema; a mismatch is a 400 BadRequestBody. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new ApiError('BadRequestBody', z.prettifyError(result.error).replaceAll('\n', ' '));
  return result.data;
}
