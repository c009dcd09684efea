import { describe, expect, it } from 'vitest';
import { BadRequestError, isRetriable, UnavailableError } from './errors.js';

const pgError = (code: string) => Object.assign(new Error(`pg error ${code}`), { code });

describe('isRetriable', () => {
  it('retries what PostgreSQL asks to be retried: a deadlock victim, a serialization failure, a lock not available', () => {
    expect(isRetriable(pgError('40P01'))).toBe(true);
    expect(isRetriable(pgError('40001'))).toBe(true);
    expect(isRetriable(pgError('55P03'))).toBe(true);
  });

  it('retries a lost connection and our own transient errors, never a constraint violation or a bad request', () => {
    expect(isRetriable(pgError('ECONNREFUSED'))).toBe(true);
    expect(isRetriable(new UnavailableError('down'))).toBe(true);
    expect(isRetriable(pgError('23505'))).toBe(false);
    expect(isRetriable(new BadRequestError('no'))).toBe(false);
    expect(isRetriable(new TypeError('x is undefined'))).toBe(false);
  });
});
