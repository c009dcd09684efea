/**
 * The ledger: one line per order request the load generator sent, the evidence a checker later
 * holds against the services' tables to find lost orders. It must never claim more than it
 * knows: a request whose answer did not come may or may not have created an order, so it is
 * `unknown`, with the Idempotency-Key a checker can look it up by.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * accepted: the API answered 2xx with the order id. rejected: it certainly created nothing (a
 * 4xx answer, or no connection was ever made). unknown: it may have (no answer, or a 5xx —
 * a proxy's 502/504 can hide an order that was committed behind it).
 */
export type LedgerOutcome = 'accepted' | 'rejected' | 'unknown';

export interface LedgerEntry {
  /** The Idempotency-Key the request carried. */
  key: string;
  outcome: LedgerOutcome;
  /** The HTTP status, or `error:<code>` when no answer came (`error:timeout`, `error:ECONNRESET`, …). */
  status: number | string;
  /** Set for accepted orders. */
  orderId?: string;
  /** Wall-clock times in epoch milliseconds (to the microsecond): when it was due, sent, and ended. */
  scheduledAt: number;
  sentAt: number;
  finishedAt: number;
}

/** What became of one request: an HTTP answer, or no answer (`error` is a short code: timeout, ECONNREFUSED, …). */
export type Answer = { status: number; orderId?: string } | { error: string };

/** The error's code (ECONNREFUSED, UND_ERR_SOCKET, …), for `error:<code>`. */
export function codeOf(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return typeof code === 'string' ? code : typeof name === 'string' ? name : 'unknown';
}

/** Errors that prove the request never reached the server, so nothing can have been created. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/** How far an answer proves an order exists (see LedgerOutcome). */
export function outcomeOf(answer: Answer): LedgerOutcome {
  if ('error' in answer) return NEVER_CONNECTED.has(answer.error) ? 'rejected' : 'unknown';
  if (answer.status >= 200 && answer.status < 300) return answer.orderId ? 'accepted' : 'unknown';
  return answer.status >= 500 ? 'unknown' : 'rejected';
}

/** `201` or `error:timeout`: the status field of a ledger entry and the key of errorsByStatus. */
export function statusOf(answer: Answer): number | string {
  return 'error' in answer ? `error:${answer.error}` : answer.status;
}

/** Counts entries by outcome. */
export function countOutcomes(entries: readonly LedgerEntry[]): Record<LedgerOutcome, number> {
  const counts: Record<LedgerOutcome, number> = { accepted: 0, rejected: 0, unknown: 0 };
  for (const entry of entries) counts[entry.outcome]++;
  return counts;
}

/** Writes the ledger as JSON lines (creating its folder), a thousand lines per write. */
export async function writeLedger(path: string, entries: readonly LedgerEntry[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  function* chunks() {
    for (let i = 0; i < entries.length; i += 1000) {
      yield entries
        .slice(i, i + 1000)
        .map((entry) => `${JSON.stringify(entry)}\n`)
        .join('');
    }
  }
  await writeFile(path, chunks(), 'utf8');
}
