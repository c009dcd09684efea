/**
 * W3C trace context: one trace per order, carried in the `traceparent` header of every event
 * and HTTP call of its saga, so logs and `pizza-lab trace` can follow it across services.
 */
import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

// Random bytes come from a pool refilled 4 KiB at a time, as node's randomUUID does: every event
// gets a span id, and one call into the system's generator per id cost more than the rest of
// creating the event.
const pool = Buffer.alloc(4096);
let used = pool.length;

/** `bytes` random bytes as hex (cryptographically random, like randomBytes). */
export function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

/** A traceparent that starts a new trace. */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/** The next hop of the same trace: same trace id, a new span id. */
export function childTraceparent(parent: string | undefined): string {
  const match = parent ? TRACEPARENT.exec(parent) : null;
  if (!match) return newTraceparent();
  return `00-${match[1]}-${randomHex(8)}-${match[3]}`;
}

export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}

export function isTraceparent(value: string | undefined): value is string {
  return value !== undefined && TRACEPARENT.test(value);
}
