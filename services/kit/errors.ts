/**
 * One error hierarchy for the services. `retriable` tells the retry loops whether trying again can
 * help; `status` and `code` are what the HTTP error mapper answers with.
 */
export interface ServiceErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  status?: number;
  code?: string;
  details?: unknown;
}

export class ServiceError extends Error {
  readonly retriable: boolean;
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;

  constructor(message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.status = options.status ?? 500;
    this.code = options.code ?? 'internal';
    this.details = options.details;
  }
}

export class BadRequestError extends ServiceError {
  constructor(message: string, details?: unknown) {
    super(message, { status: 400, code: 'bad-request', details });
  }
}

export class NotFoundError extends ServiceError {
  constructor(message: string, details?: unknown) {
    super(message, { status: 404, code: 'not-found', details });
  }
}

export class ConflictError extends ServiceError {
  constructor(message: string, details?: unknown) {
    super(message, { status: 409, code: 'conflict', details });
  }
}

export class UnprocessableError extends ServiceError {
  constructor(message: string, details?: unknown) {
    super(message, { status: 422, code: 'unprocessable', details });
  }
}

/** A dependency (database, broker, provider) does not answer now; later may work. */
export class UnavailableError extends ServiceError {
  constructor(message: string, options: Omit<ServiceErrorOptions, 'status' | 'retriable'> = {}) {
    super(message, { code: 'unavailable', ...options, status: 503, retriable: true });
  }
}

/** Something failed in a way that trying again may fix (a 5xx, a timeout). */
export class TransientError extends ServiceError {
  constructor(message: string, options: Omit<ServiceErrorOptions, 'retriable'> = {}) {
    super(message, { status: 502, code: 'transient', ...options, retriable: true });
  }
}

/** Errors of the pg driver and Node sockets that mean "the database is not reachable right now". */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|not queryable/i.test(e.message ?? '');
}

/** PostgreSQL's "try the transaction again": a serialization failure, a deadlock victim, a lock not available. */
const TRANSIENT_DB_CODES = new Set(['40001', '40P01', '55P03']);

/** Whether trying again may help: our own flag, a lost connection, or a transaction PostgreSQL asks to retry. Programming errors never are. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof ServiceError) return error.retriable;
  const code = (error as { code?: unknown } | undefined)?.code;
  return isConnectionError(error) || (typeof code === 'string' && TRANSIENT_DB_CODES.has(code));
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
