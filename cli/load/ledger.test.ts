import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countOutcomes, outcomeOf, statusOf, writeLedger, type LedgerEntry } from './ledger.js';

describe('outcomeOf', () => {
  it('claims an order only for a 2xx with its id, and nothing for what may have happened', () => {
    expect(outcomeOf({ status: 201, orderId: 'o' })).toBe('accepted');
    expect(outcomeOf({ status: 200, orderId: 'o' })).toBe('accepted');
    expect(outcomeOf({ status: 201 })).toBe('unknown');
    expect(outcomeOf({ status: 422 })).toBe('rejected');
    expect(outcomeOf({ status: 429 })).toBe('rejected');
    expect(outcomeOf({ status: 502 })).toBe('unknown');
    expect(outcomeOf({ status: 503 })).toBe('unknown');
    expect(outcomeOf({ error: 'timeout' })).toBe('unknown');
    expect(outcomeOf({ error: 'ECONNRESET' })).toBe('unknown');
    expect(outcomeOf({ error: 'UND_ERR_SOCKET' })).toBe('unknown');
    expect(outcomeOf({ error: 'ECONNREFUSED' })).toBe('rejected');
  });

  it('names statuses the way errorsByStatus counts them', () => {
    expect(statusOf({ status: 503 })).toBe(503);
    expect(statusOf({ error: 'timeout' })).toBe('error:timeout');
  });
});

describe('writeLedger', () => {
  it('writes one JSON object per line, creating the folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    try {
      const entries: LedgerEntry[] = Array.from({ length: 2500 }, (_, i) => ({
        key: `k${i}`, outcome: i % 2 ? 'accepted' : 'unknown', status: i % 2 ? 201 : 'error:timeout', ...(i % 2 ? { orderId: `o${i}` } : {}), scheduledAt: i, sentAt: i + 0.5, finishedAt: i + 3.25,
      }));
      const path = join(dir, 'ledgers', 'load.jsonl');
      await writeLedger(path, entries);
      const lines = (await readFile(path, 'utf8')).split('\n');
      expect(lines.at(-1)).toBe('');
      expect(lines.slice(0, -1).map((line) => JSON.parse(line) as LedgerEntry)).toEqual(entries);
      expect(countOutcomes(entries)).toEqual({ accepted: 1250, rejected: 0, unknown: 1250 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
